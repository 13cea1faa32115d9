import { h } from 'preact';
import { useState } from 'preact/hooks';
import type { RunListView, RunView } from '../../../src/routes/runs-view.ts';
import { apiGet, withQuery } from '../api.ts';
import { count, duration, usd, when } from '../format.ts';
import { useNames, type Names } from '../names.ts';
import { linkClick, navigate } from '../router.ts';
import { usePolling } from '../use-polling.ts';

/** How often a list that shows running runs is reloaded. */
const LIVE_RELOAD_MS = 3000;
const PAGE_SIZE = 50;
const FILTERS = ['name', 'status', 'key', 'team', 'from', 'to', 'min_cost_usd', 'sort', 'order', 'all'] as const;
type Filter = (typeof FILTERS)[number];
const STATUSES = ['running', 'succeeded', 'failed', 'paused', 'timed_out'];

/** A `datetime-local` input's value (local time, no zone) as an ISO date-time the API takes. */
function isoOfLocal(value: string): string | undefined {
  if (value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function RunRow({ run, names }: { run: RunView; names: Names }) {
  const path = `/runs/${encodeURIComponent(run.id)}`;
  const { totals } = run;
  return (
    <tr data-run-id={run.id}>
      <td>
        <a href={`/console${path}`} onClick={linkClick(path)}>{run.name ?? run.id}</a>
        {run.name === null ? null : <div class="muted small">{run.id}</div>}
      </td>
      <td><span class={`status status-${run.status}`}>{run.status}</span></td>
      <td>{when(run.started_at)}</td>
      <td class="num">{duration(totals.duration_ms)}</td>
      <td class="num">{totals.llm_calls}</td>
      <td class="num">{totals.tool_calls}</td>
      <td class="num">{totals.runs - 1}</td>
      <td class="num">{count(totals.input_tokens + totals.output_tokens)}</td>
      <td class="num">{usd(totals.cost_usd)}</td>
      <td class="muted small">{names.key(run.api_key_id)}{run.team_id === null ? '' : ` · ${names.team(run.team_id)}`}</td>
    </tr>
  );
}

/**
 * The runs list: filters and sort in the page's query string (so a view can be shared; the key
 * never is), cursor paging, and live reloads while any listed run is running.
 */
export function RunsPage({ query }: { query: URLSearchParams }) {
  const filters = Object.fromEntries(FILTERS.map((name) => [name, query.get(name) ?? ''])) as Record<Filter, string>;
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<RunListView>();
  const [error, setError] = useState<string>();
  const names = useNames();
  const cursor = cursors.at(-1);
  const path = withQuery('/v1/runs', {
    name: filters.name,
    status: filters.status,
    key: filters.key,
    team: filters.team,
    from: isoOfLocal(filters.from),
    to: isoOfLocal(filters.to),
    min_cost_usd: filters.min_cost_usd,
    sort: filters.sort,
    order: filters.order,
    roots: filters.all === 'true' ? undefined : 'true',
    limit: PAGE_SIZE,
    cursor,
  });
  usePolling(
    (signal) =>
      apiGet<RunListView>(path, { signal })
        .then((result) => {
          setPage(result);
          setError(undefined);
          return result.data.some((run) => run.status === 'running');
        })
        .catch((failure: Error) => {
          if (!signal.aborted) setError(failure.message);
          return false;
        }),
    LIVE_RELOAD_MS,
    [path],
  );

  const set = (name: Filter, value: string) => {
    const next = new URLSearchParams(query);
    if (value === '') next.delete(name);
    else next.set(name, value);
    setCursors([undefined]);
    const text = next.toString();
    navigate(text === '' ? '/' : `/?${text}`, { replace: true });
  };
  const input = (name: Filter, label: string, type: 'text' | 'number' | 'datetime-local' = 'text', placeholder = '') => (
    <label>
      {label}
      {/* h(): preact types each input `type` apart, and this one helper serves three of them. */}
      {h('input', { name, type, value: filters[name], placeholder, onChange: (event: Event) => set(name, (event.target as HTMLInputElement).value.trim()) })}
    </label>
  );

  return (
    <section class="runs-page">
      <h2>Runs</h2>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        {input('name', 'name')}
        <label>
          status
          <select name="status" value={filters.status} onChange={(event) => set('status', (event.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {STATUSES.map((status) => <option key={status} value={status}>{status}</option>)}
          </select>
        </label>
        {input('key', 'key id')}
        {input('team', 'team id')}
        {input('from', 'from', 'datetime-local')}
        {input('to', 'to', 'datetime-local')}
        {input('min_cost_usd', 'cost ≥ $', 'number', '0.00')}
        <label>
          sort
          <select name="sort" value={filters.sort} onChange={(event) => set('sort', (event.target as HTMLSelectElement).value)}>
            <option value="">start</option>
            <option value="cost">cost</option>
            <option value="duration">duration</option>
          </select>
        </label>
        <label>
          order
          <select name="order" value={filters.order} onChange={(event) => set('order', (event.target as HTMLSelectElement).value)}>
            <option value="">descending</option>
            <option value="asc">ascending</option>
          </select>
        </label>
        <label class="check">
          <input type="checkbox" name="all" checked={filters.all === 'true'} onChange={(event) => set('all', (event.target as HTMLInputElement).checked ? 'true' : '')} />
          sub-runs too
        </label>
      </form>
      {error === undefined ? null : <p class="bad" role="alert">{error}</p>}
      <table class="runs">
        <thead>
          <tr><th>run</th><th>status</th><th>started</th><th class="num">duration</th><th class="num">calls</th><th class="num">tool calls</th><th class="num">sub-runs</th><th class="num">tokens</th><th class="num">cost</th><th>key · team</th></tr>
        </thead>
        <tbody>
          {page?.data.map((run) => <RunRow key={run.id} run={run} names={names} />)}
        </tbody>
      </table>
      {page === undefined ? <p class="muted">loading…</p> : page.data.length === 0 ? <p class="muted">No runs match. Runs appear here as agents call the gateway with x-gantry-run-id (or any call, as a run of its own).</p> : null}
      <nav class="pager">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>← previous page</button>
        <button type="button" disabled={page?.next_cursor === null || page === undefined} onClick={() => setCursors([...cursors, page!.next_cursor!])}>next page →</button>
      </nav>
    </section>
  );
}
