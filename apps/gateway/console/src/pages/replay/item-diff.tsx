import { useState } from 'preact/hooks';
import type { ReplayDiffStepView, ReplayDiffView, ReplayItemView, ReplayView } from '../../../../src/routes/replays-routes.ts';
import { apiGet } from '../../api.ts';
import { linkClick } from '../../router.ts';
import { usePolling } from '../../use-polling.ts';
import { DiffStep } from './diff-step.tsx';
import { runPath } from './replay-figures.ts';

/** Why a recorded step has no replayed counterpart, in the words of the replay's mode and state. */
function notReplayedReason(view: ReplayView, entry: ReplayItemView | undefined, step: ReplayDiffStepView): string {
  const divergence = entry?.summary.divergence ?? null;
  if (divergence !== null) return `Not replayed: the item stopped at its divergence at step ${divergence.step}.`;
  const fork = /^fork:(\d+)$/.exec(view.mode);
  if (fork !== null && step.step < Number(fork[1])) return `Kept as recorded: the candidate takes over at step ${fork[1]}.`;
  if (entry === undefined && view.status === 'running') return 'Not replayed yet.';
  return 'Not replayed.';
}

function RunLink({ runId, children }: { runId: string; children: preact.ComponentChildren }) {
  return (
    <a href={`/console${runPath(runId)}`} onClick={linkClick(runPath(runId))} title={runId}>
      {children}
    </a>
  );
}

/** The diff of one item for one candidate: its runs, its divergence, then every recorded step beside the candidate's. */
export function ItemDiff({ view, item, candidate }: { view: ReplayView; item: number; candidate: number }) {
  const [loaded, setLoaded] = useState<{ path: string; diff: ReplayDiffView }>();
  const [error, setError] = useState<string>();
  const path = `/v1/replays/${encodeURIComponent(view.id)}/diff/${item}?candidate=${candidate}`;
  usePolling(
    (signal) =>
      apiGet<ReplayDiffView>(path, { signal })
        .then((result) => {
          setLoaded({ path, diff: result });
          setError(undefined);
        })
        .catch((failure: Error) => void (signal.aborted ? undefined : setError(failure.message)))
        .then(() => false),
    0,
    // A running replay's steps land as it goes: each reload of the replay that moved reloads the diff.
    [path, view.progress.steps_done],
  );
  // The diff of the item asked for, never the previous item's while the next one loads.
  const shown = loaded?.path === path ? loaded.diff : undefined;
  if (shown === undefined) return error === undefined ? <p class="muted">loading the diff…</p> : <p class="bad" role="alert">{error}</p>;
  const entry = view.items.find((each) => each.position === item && each.candidate === candidate);
  const divergence = entry?.summary.divergence ?? null;
  const replayed = shown.steps.filter((step) => step.replayed !== null).length;
  const agreeing = shown.steps.filter((step) => step.replayed?.score?.pass === true).length;
  return (
    <section class="item-diff" aria-label={`item ${item}: recorded vs ${shown.candidate}`}>
      <h3>
        Item {item}: recorded vs <code>{shown.candidate}</code>
      </h3>
      <div class="item-diff-facts">
        {shown.source_run_id === null ? null : <RunLink runId={shown.source_run_id}>source run {shown.source_run_id}</RunLink>}
        {entry === undefined ? null : (
          <>
            {' · '}
            <RunLink runId={entry.run_id}>replayed run {entry.run_id}</RunLink>
          </>
        )}
        <span class="muted"> · {agreeing} of {replayed} replayed steps agree ({shown.steps.length} recorded)</span>
      </div>
      {divergence === null ? null : (
        <p class="divergence bad" role="note">
          The trajectory diverged at <strong>step {divergence.step}</strong> (run {divergence.runId}): {divergence.differences.join('; ')}
        </p>
      )}
      {error === undefined ? null : <p class="bad">reload failed: {error}</p>}
      {shown.steps.map((step) => (
        <DiffStep key={step.step} step={step} candidate={shown.candidate} divergence={divergence?.step === step.step} notReplayed={notReplayedReason(view, entry, step)} />
      ))}
    </section>
  );
}
