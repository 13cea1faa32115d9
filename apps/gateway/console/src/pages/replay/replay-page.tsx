import { useState } from 'preact/hooks';
import type { ReplayView } from '../../../../src/routes/replays-routes.ts';
import { apiGet } from '../../api.ts';
import { when } from '../../format.ts';
import { linkClick, navigate } from '../../router.ts';
import { usePolling } from '../../use-polling.ts';
import { CandidateTotals } from './candidate-totals.tsx';
import { ItemDiff } from './item-diff.tsx';
import { ReplayItems } from './replay-items.tsx';
import { percent, replayPath, usdOfMicros } from './replay-figures.ts';

/** How often a running replay is reloaded. */
const LIVE_RELOAD_MS = 2000;

const MODES: Record<string, string> = {
  step: 'each recorded call’s exact context sent to the candidate',
  trajectory: 'the candidate drives each run from its first request, fed recorded tool results',
};

function modeText(mode: string): string {
  const fork = /^fork:(\d+)$/.exec(mode);
  return fork === null ? (MODES[mode] ?? '') : `steps before ${fork[1]} as recorded, the candidate drives from there`;
}

function ReplayHeader({ view }: { view: ReplayView }) {
  const { progress } = view;
  const fraction = progress.steps_total === 0 ? 0 : progress.steps_done / progress.steps_total;
  return (
    <header class="run-header">
      <div>
        <a href="/console/replays" onClick={linkClick('/replays')}>← replays</a>
      </div>
      <h2>
        Replay {view.id} <span class={`status status-${view.status}`}>{view.status}</span>
      </h2>
      <div class="muted">
        dataset <strong>{view.dataset.name ?? view.dataset.id}</strong> · mode <strong>{view.mode}</strong> ({modeText(view.mode)}) · created {when(view.created_at)}
        {view.ended_at === null ? '' : ` · ended ${when(view.ended_at)}`}
      </div>
      {view.error === null ? null : <p class="bad">{view.error}</p>}
      {view.status === 'running' ? (
        <div class="meter" role="progressbar" aria-valuemin={0} aria-valuemax={1} aria-valuenow={fraction}>
          <div style={{ width: `${Math.min(100, fraction * 100)}%` }} />
        </div>
      ) : null}
      <dl class="run-totals" aria-label="replay progress">
        <div><dt>items</dt><dd>{progress.items_done}/{progress.items_total}</dd></div>
        <div><dt>steps</dt><dd>{progress.steps_done}/{progress.steps_total} <span class="muted small">({percent(fraction)})</span></dd></div>
        <div><dt>failed calls</dt><dd class={progress.failed_calls === 0 ? '' : 'bad'}>{progress.failed_calls}</dd></div>
        <div><dt>spent</dt><dd>{usdOfMicros(progress.spend_micros)}</dd></div>
      </dl>
    </header>
  );
}

/** The chosen candidate (an index, 0 when absent or out of range) and item (a dataset position) from the page's query. */
function choiceOf(query: URLSearchParams, view: ReplayView | undefined): { candidate: number; item: number | undefined } {
  const candidate = Number(query.get('candidate') ?? '0');
  const item = query.get('item');
  const count = view?.candidates.length ?? 1;
  return {
    candidate: Number.isInteger(candidate) && candidate >= 0 && candidate < count ? candidate : 0,
    item: item === null || item === '' || !Number.isInteger(Number(item)) ? undefined : Number(item),
  };
}

/**
 * One replay: progress, each candidate's roll-up, the items of the chosen candidate with their
 * scores, and the chosen item's recorded vs candidate diff, step by step. Candidate and item are
 * in the URL (`?item=3&candidate=1`). Reloaded while the replay runs.
 */
export function ReplayPage({ replayId, query }: { replayId: string; query: URLSearchParams }) {
  const [view, setView] = useState<ReplayView>();
  const [error, setError] = useState<string>();
  usePolling(
    (signal) =>
      apiGet<ReplayView>(`/v1/replays/${encodeURIComponent(replayId)}`, { signal })
        .then((result) => {
          setView(result);
          setError(undefined);
          return result.status === 'running';
        })
        .catch((failure: Error) => {
          if (!signal.aborted) setError(failure.message);
          return false;
        }),
    LIVE_RELOAD_MS,
    [replayId],
  );
  if (view === undefined || view.id !== replayId) return error === undefined ? <p class="muted">loading replay…</p> : <p class="bad">{error}</p>;
  const { candidate, item } = choiceOf(query, view);
  const chooseCandidate = (index: number) => navigate(replayPath(view.id, { item, candidate: index }), { replace: true });
  const pending = view.progress.items_total - view.progress.items_done;
  return (
    <div class="replay-page">
      <ReplayHeader view={view} />
      {error === undefined ? null : <p class="bad">reload failed: {error}</p>}
      <h3>Candidates</h3>
      <CandidateTotals view={view} />
      <h3>Items</h3>
      {view.candidates.length < 2 ? null : (
        <div class="tabs" role="tablist" aria-label="candidate">
          {view.candidates.map((name, index) => (
            <button key={index} type="button" role="tab" aria-selected={index === candidate} class={index === candidate ? 'active' : ''} onClick={() => chooseCandidate(index)}>
              {name}
            </button>
          ))}
        </div>
      )}
      <ReplayItems view={view} candidate={candidate} selected={item} />
      {pending === 0 ? null : <p class="muted">{pending} item{pending === 1 ? '' : 's'} (over all candidates) still replaying.</p>}
      {item === undefined ? (
        <p class="muted">Choose an item to compare the recorded run with the candidate, step by step.</p>
      ) : (
        <ItemDiff view={view} item={item} candidate={candidate} />
      )}
    </div>
  );
}
