import { useRef, useState } from 'preact/hooks';
import type { ReplayListView, ReplaySummaryView, ReplayView } from '../../../src/routes/replays-routes.ts';
import { apiGet } from '../api.ts';
import { when } from '../format.ts';
import { linkClick } from '../router.ts';
import { usePolling } from '../use-polling.ts';
import { percent, replayPath, usdOfMicros } from './replay/replay-figures.ts';

export { ReplayPage } from './replay/replay-page.tsx';

/** How often a list that shows running replays is reloaded. */
const LIVE_RELOAD_MS = 3000;
/** Replay views fetched at once: the list route has no progress or scores, each replay's own view has. */
const DETAIL_CONCURRENCY = 4;

/**
 * Each listed replay's full view (progress, totals), reusing those that ended: an ended replay
 * never changes, so only running ones (and new ones) are fetched again.
 */
async function loadDetails(rows: ReplaySummaryView[], known: Map<string, ReplayView>, signal: AbortSignal, onProgress: () => void): Promise<void> {
  const stale = rows.filter((row) => {
    const cached = known.get(row.id);
    return cached === undefined || cached.status === 'running' || cached.status !== row.status;
  });
  for (let start = 0; start < stale.length && !signal.aborted; start += DETAIL_CONCURRENCY) {
    const batch = stale.slice(start, start + DETAIL_CONCURRENCY);
    const views = await Promise.all(batch.map((row) => apiGet<ReplayView>(`/v1/replays/${encodeURIComponent(row.id)}`, { signal }).catch(() => undefined)));
    for (const view of views) if (view !== undefined) known.set(view.id, view);
    onProgress();
  }
}

function Progress({ detail }: { detail: ReplayView | undefined }) {
  if (detail === undefined) return <span class="muted">…</span>;
  const { progress } = detail;
  const fraction = progress.steps_total === 0 ? 0 : progress.steps_done / progress.steps_total;
  return (
    <div class="replay-progress">
      {detail.status === 'running' ? (
        <div class="meter" role="progressbar" aria-valuemin={0} aria-valuemax={1} aria-valuenow={fraction}>
          <div style={{ width: `${Math.min(100, fraction * 100)}%` }} />
        </div>
      ) : null}
      <div class="small">
        {progress.items_done}/{progress.items_total} items · {progress.steps_done}/{progress.steps_total} steps
      </div>
      <div class="muted small">
        {usdOfMicros(progress.spend_micros)} spent{progress.failed_calls === 0 ? '' : ` · `}
        {progress.failed_calls === 0 ? null : <span class="bad">{progress.failed_calls} failed call{progress.failed_calls === 1 ? '' : 's'}</span>}
      </div>
    </div>
  );
}

function Rollups({ detail }: { detail: ReplayView | undefined }) {
  if (detail === undefined) return <span class="muted">…</span>;
  return (
    <ul class="rollups">
      {detail.totals.map((total) => (
        <li key={total.candidate}>
          <code>{total.candidate}</code>: {total.passed}/{total.items} passed <strong>{percent(total.pass_rate)}</strong>
          {total.diverged === 0 ? '' : ` · ${total.diverged} diverged`}
          {total.incomplete === 0 ? null : <span class="bad"> · {total.incomplete} incomplete</span>}
        </li>
      ))}
    </ul>
  );
}

function ReplayRow({ row, detail }: { row: ReplaySummaryView; detail: ReplayView | undefined }) {
  const path = replayPath(row.id);
  return (
    <tr data-replay-id={row.id}>
      <td>
        <a href={`/console${path}`} onClick={linkClick(path)}>{row.id}</a>
        {row.error === null ? null : <div class="bad small">{row.error}</div>}
      </td>
      <td>{row.dataset.name ?? row.dataset.id}</td>
      <td><span class={`status status-${row.status}`}>{row.status}</span></td>
      <td>{row.candidates.map((candidate) => <div key={candidate}><code>{candidate}</code></div>)}</td>
      <td>{row.mode}</td>
      <td><Progress detail={detail} /></td>
      <td>{when(row.created_at)}</td>
      <td><Rollups detail={detail} /></td>
    </tr>
  );
}

/** The replays the key can see, newest first, with progress and pass rates; reloaded while any runs. */
export function ReplaysPage() {
  const [list, setList] = useState<ReplayListView>();
  const [error, setError] = useState<string>();
  const details = useRef(new Map<string, ReplayView>());
  const [, setDetailsVersion] = useState(0);
  usePolling(
    async (signal) => {
      try {
        const result = await apiGet<ReplayListView>('/v1/replays', { signal });
        setList(result);
        setError(undefined);
        await loadDetails(result.data, details.current, signal, () => setDetailsVersion((version) => version + 1));
        return result.data.some((row) => row.status === 'running');
      } catch (failure) {
        if (!signal.aborted) setError((failure as Error).message);
        return false;
      }
    },
    LIVE_RELOAD_MS,
    [],
  );
  return (
    <section class="replays-page">
      <h2>Replays</h2>
      <p class="muted">Datasets of recorded runs replayed against candidate models; start one with <code>pnpm gantry replay start</code> or <code>POST /v1/replays</code>.</p>
      {error === undefined ? null : <p class="bad" role="alert">{error}</p>}
      <table class="replays">
        <thead>
          <tr><th>replay</th><th>dataset</th><th>status</th><th>candidates</th><th>mode</th><th>progress</th><th>created</th><th>pass rate per candidate</th></tr>
        </thead>
        <tbody>
          {list?.data.map((row) => <ReplayRow key={row.id} row={row} detail={details.current.get(row.id)} />)}
        </tbody>
      </table>
      {list === undefined ? (error === undefined ? <p class="muted">loading…</p> : null) : list.data.length === 0 ? <p class="muted">No replays yet.</p> : null}
    </section>
  );
}
