import { useEffect, useMemo, useState } from 'preact/hooks';
import type { RunNodeView } from '../../../src/routes/runs-view.ts';
import { apiFetch, apiGet } from '../api.ts';
import { count, duration, usd, when } from '../format.ts';
import { useNames } from '../names.ts';
import { linkClick } from '../router.ts';
import { FlameChart } from '../run/flame-chart.tsx';
import { layoutFlame } from '../run/flame-layout.ts';
import { SpanPanel } from '../run/span-panel.tsx';
import { SpanTree } from '../run/span-tree.tsx';
import { usePolling } from '../use-polling.ts';

/** How often a running run is reloaded. */
const LIVE_RELOAD_MS = 2000;

/** Downloads the run's Chrome trace (for Perfetto or chrome://tracing) with the signed-in key. */
async function downloadTrace(runId: string): Promise<void> {
  const response = await apiFetch(`/v1/runs/${encodeURIComponent(runId)}/trace.json`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = `run-${runId.replace(/[^A-Za-z0-9._-]/g, '_')}.trace.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function RunHeader({ run }: { run: RunNodeView }) {
  const [traceError, setTraceError] = useState<string>();
  const { totals } = run;
  const names = useNames();
  return (
    <header class="run-header">
      <div>
        <a href="/console" onClick={linkClick('/')}>← runs</a>
        {run.parent_run_id === null ? null : (
          <>
            {' · '}
            <a href={`/console/runs/${encodeURIComponent(run.parent_run_id)}`} onClick={linkClick(`/runs/${encodeURIComponent(run.parent_run_id)}`)}>parent run</a>
          </>
        )}
      </div>
      <h2>
        {run.name ?? run.id} <span class={`status status-${run.status}`}>{run.status}</span>
      </h2>
      <div class="muted">{run.id} · started {when(run.started_at)}{` · ${names.key(run.api_key_id)}`}{run.team_id === null ? '' : ` · team ${names.team(run.team_id)}`}</div>
      <dl class="run-totals" aria-label="run totals">
        <div><dt>cost</dt><dd data-total="cost">{usd(totals.cost_usd)}</dd></div>
        <div><dt>duration</dt><dd>{duration(totals.duration_ms)}</dd></div>
        <div><dt>LLM calls</dt><dd>{totals.llm_calls}</dd></div>
        <div><dt>tool calls</dt><dd>{totals.tool_calls}</dd></div>
        <div><dt>sub-runs</dt><dd>{totals.runs - 1}</dd></div>
        <div><dt>tokens</dt><dd>{count(totals.input_tokens)} in · {count(totals.output_tokens)} out</dd></div>
        <div><dt>own cost</dt><dd>{usd(run.own_totals.cost_usd)}</dd></div>
      </dl>
      <button type="button" onClick={() => downloadTrace(run.id).catch((error: Error) => setTraceError(error.message))}>
        Download trace.json (Perfetto, chrome://tracing)
      </button>
      {traceError === undefined ? null : <span class="bad"> {traceError}</span>}
    </header>
  );
}

/** A run: its totals, the flame chart of the whole tree, the tree beside it, and the selected span's panel. */
export function RunPage({ runId }: { runId: string }) {
  const [run, setRun] = useState<RunNodeView>();
  const [error, setError] = useState<string>();
  const [selected, setSelected] = useState<string>();
  const load = (signal: AbortSignal) =>
    apiGet<RunNodeView>(`/v1/runs/${encodeURIComponent(runId)}`, { signal })
      .then((tree) => {
        setRun(tree);
        setError(undefined);
        return tree.status === 'running';
      })
      .catch((failure: Error) => {
        if (!signal.aborted) setError(failure.message);
        return false;
      });
  usePolling(load, LIVE_RELOAD_MS, [runId]);
  useEffect(() => setSelected(undefined), [runId]);
  const layout = useMemo(() => (run === undefined ? undefined : layoutFlame(run)), [run]);

  if (error !== undefined && run === undefined) return <p class="bad">{error}</p>;
  if (run === undefined || layout === undefined) return <p class="muted">loading run…</p>;
  const selectedNode = layout.nodes.find((node) => node.key === selected) ?? layout.root;
  return (
    <div class="run-page">
      <RunHeader run={run} />
      {error === undefined ? null : <p class="bad">reload failed: {error}</p>}
      <FlameChart layout={layout} selected={selectedNode.key} onSelect={setSelected} />
      <div class="run-columns">
        <SpanTree nodes={layout.nodes} selected={selectedNode.key} onSelect={setSelected} />
        <SpanPanel node={selectedNode} />
      </div>
    </div>
  );
}
