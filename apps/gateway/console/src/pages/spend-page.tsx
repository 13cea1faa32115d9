import { useState } from 'preact/hooks';
import type { BudgetListView, BudgetView } from '../../../src/routes/budgets-route.ts';
import type { SpendRowView, SpendView } from '../../../src/routes/spend-route.ts';
import { apiGet, withQuery } from '../api.ts';
import { BarChart, type Bar } from '../charts/bar-chart.tsx';
import { count, usd, when } from '../format.ts';
import { useNames, type Names } from '../names.ts';
import { navigate } from '../router.ts';
import { usePolling } from '../use-polling.ts';

type Group = SpendView['group_by'];

const GROUPS: { group: Group; label: string; none: string }[] = [
  { group: 'day', label: 'day', none: '—' },
  { group: 'team', label: 'team', none: '(no team)' },
  { group: 'key', label: 'key', none: '(master key)' },
  { group: 'customer', label: 'customer', none: '(no customer)' },
  { group: 'model', label: 'model', none: '(no model)' },
  { group: 'run_name', label: 'run name', none: '(unnamed runs)' },
];
const RANGES = [
  { range: '24h', label: 'last 24 h' },
  { range: '7d', label: 'last 7 days' },
  { range: '30d', label: 'last 30 days' },
  { range: '90d', label: 'last 90 days' },
  { range: 'custom', label: 'custom dates' },
];
const DEFAULT_RANGE = '30d';
/** Most groups charted (the table lists them all): past this, bars get too thin to read. */
const MAX_BARS = 50;
/** Most days a day chart fills in with empty ones. */
const MAX_DAYS = 400;
const DAY_MS = 86_400_000;

/** The page's settings as its URL holds them, with defaults for what is missing or unknown. */
function settingsOf(query: URLSearchParams) {
  const group = GROUPS.find((entry) => entry.group === query.get('group_by'))?.group ?? 'day';
  const range = RANGES.find((entry) => entry.range === query.get('range'))?.range ?? DEFAULT_RANGE;
  return { group, range, from: query.get('from') ?? '', to: query.get('to') ?? '' };
}
type Settings = ReturnType<typeof settingsOf>;

/** `YYYY-MM-DD` of the day after `day` (the API's `to` is exclusive; the page's last day is included). */
function dayAfter(day: string): string | undefined {
  const time = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(time) ? undefined : new Date(time + DAY_MS).toISOString().slice(0, 10);
}

function spendPath(settings: Settings): string {
  const window = settings.range === 'custom' ? { from: settings.from, to: settings.to === '' ? undefined : dayAfter(settings.to) } : { from: settings.range };
  return withQuery('/v1/spend', { group_by: settings.group, ...window });
}

/** A group as a person reads it: key and team names where the caller can see them. */
function groupLabel(row: SpendRowView, group: Group, names: Names): string {
  const value = row[group];
  if (value === null || value === undefined) return GROUPS.find((entry) => entry.group === group)!.none;
  return group === 'key' ? names.key(value) : group === 'team' ? names.team(value) : value;
}

function rowTitle(label: string, row: SpendRowView | undefined): string {
  return row === undefined ? `${label}: no spend` : `${label}: ${usd(row.cost_usd)} · ${count(row.calls)} calls · ${count(row.tokens)} tokens`;
}

/** Every UTC day of the window (or of the data, when the window is open), with $0 bars for days without spend. */
function dayBars(view: SpendView): Bar[] {
  const byDay = new Map(view.data.map((row) => [row.day ?? '', row]));
  const present = [...byDay.keys()].sort();
  const first = view.from?.slice(0, 10) ?? present[0];
  const last = view.to === null ? new Date().toISOString().slice(0, 10) : new Date(Date.parse(view.to) - 1).toISOString().slice(0, 10);
  const days: string[] = [];
  if (first !== undefined && (Date.parse(last) - Date.parse(first)) / DAY_MS < MAX_DAYS) {
    for (let time = Date.parse(`${first}T00:00:00Z`); time <= Date.parse(`${last}T00:00:00Z`); time += DAY_MS) days.push(new Date(time).toISOString().slice(0, 10));
  } else days.push(...present);
  return days.map((day) => {
    const row = byDay.get(day);
    const label = new Date(`${day}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: '2-digit', timeZone: 'UTC' });
    return { label, value: row?.cost_usd ?? 0, title: rowTitle(`${day} (UTC)`, row) };
  });
}

/** Rows in the page's order: days chronologically, other groups by cost, largest first (as the API sorts them). */
function orderedRows(view: SpendView): SpendRowView[] {
  return view.group_by === 'day' ? [...view.data].sort((a, b) => (a.day ?? '').localeCompare(b.day ?? '')) : view.data;
}

function chartBars(view: SpendView, names: Names): Bar[] {
  if (view.group_by === 'day') return dayBars(view);
  return view.data.slice(0, MAX_BARS).map((row) => {
    const label = groupLabel(row, view.group_by, names);
    return { label, value: row.cost_usd, title: rowTitle(label, row) };
  });
}

const PERIODS: Record<BudgetView['period'], string> = { day: 'per day', week: 'per week', month: 'per month', total: 'in total' };

/** A budget as a card: whose, how much of it the current period has used, and when it starts again. */
function BudgetCard({ budget }: { budget: BudgetView }) {
  const over = budget.used_fraction >= 1;
  return (
    <div class="card budget-card" data-budget-id={budget.id}>
      <div>
        <span class="muted small">{budget.scope}</span> <strong>{budget.scope_name ?? budget.scope_id}</strong>
        {budget.scope_name === null ? null : <div class="muted small">{budget.scope_id}</div>}
      </div>
      <div class={over ? 'meter over' : 'meter'} role="meter" aria-valuemin={0} aria-valuemax={1} aria-valuenow={budget.used_fraction} aria-label="share of the budget used">
        <div style={{ width: `${Math.min(100, budget.used_fraction * 100)}%` }} />
      </div>
      <div class={over ? 'bad' : ''}>
        {usd(budget.spent_usd)} of {usd(budget.limit_usd)} {PERIODS[budget.period]} <span class="muted">({Math.round(budget.used_fraction * 100)}%)</span>
      </div>
      {budget.reserved_usd === 0 ? null : <div class="muted small">{usd(budget.reserved_usd)} held by calls in flight</div>}
      <div class="muted small">{budget.resets_at === null ? 'never resets' : `resets ${when(budget.resets_at)}`}</div>
    </div>
  );
}

function Budgets() {
  const [budgets, setBudgets] = useState<BudgetView[]>();
  const [error, setError] = useState<string>();
  usePolling(
    (signal) =>
      apiGet<BudgetListView>('/v1/budgets', { signal })
        .then((list) => setBudgets(list.data))
        .catch((failure: Error) => void (signal.aborted ? undefined : setError(failure.message)))
        .then(() => false),
    0,
    [],
  );
  return (
    <section class="budgets" aria-label="budgets">
      <h3>Budgets</h3>
      {error === undefined ? null : <p class="bad" role="alert">{error}</p>}
      {budgets === undefined ? (error === undefined ? <p class="muted">loading…</p> : null) : budgets.length === 0 ? <p class="muted">No budget applies to this key.</p> : (
        <div class="cards">
          {budgets.map((budget) => <BudgetCard key={budget.id} budget={budget} />)}
        </div>
      )}
    </section>
  );
}

/** Whether the window has cache hits: only then do savings get a column and a place in the total. */
function hasCacheHits(view: SpendView): boolean {
  return view.total_cache_hits > 0;
}

function savedTitle(row: SpendRowView): string {
  return `${count(row.cache_hits)} ${row.cache_hits === 1 ? 'call' : 'calls'} answered from the cache`;
}

function SpendTable({ view, names }: { view: SpendView; names: Names }) {
  const label = GROUPS.find((entry) => entry.group === view.group_by)!.label;
  const saved = hasCacheHits(view);
  return (
    <table class="spend">
      <thead>
        <tr>
          <th>{label}</th><th class="num">cost</th><th class="num">calls</th><th class="num">tokens</th><th class="num">share</th>
          {saved ? <th class="num">saved by cache</th> : null}
        </tr>
      </thead>
      <tbody>
        {orderedRows(view).map((row) => (
          <tr key={row[view.group_by] ?? ''}>
            <td>{groupLabel(row, view.group_by, names)}</td>
            <td class="num">{usd(row.cost_usd)}</td>
            <td class="num">{count(row.calls)}</td>
            <td class="num">{count(row.tokens)}</td>
            <td class="num">{view.total_cost_micros === 0 ? '—' : `${((row.cost_micros / view.total_cost_micros) * 100).toFixed(1)}%`}</td>
            {saved ? <td class="num" title={savedTitle(row)}>{row.cache_hits === 0 ? '—' : usd(row.saved_usd)}</td> : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The window in the page's own terms: the preset's name, or the custom UTC days, both included. */
function windowText(settings: Settings, view: SpendView): string {
  if (settings.range !== 'custom') return `${RANGES.find((entry) => entry.range === settings.range)!.label} (since ${when(view.from)})`;
  return `${settings.from === '' ? 'the start' : settings.from} to ${settings.to === '' ? 'now' : settings.to} (UTC days, both included)`;
}

/**
 * Spend: the budgets that apply to the signed-in key, then settled spend over a time range grouped
 * by day, team, key, customer, model or run name, as a bar chart and a table — with what the
 * response cache saved, when it answered any call. The range and the grouping live in the URL, so a
 * view can be shared.
 */
export function SpendPage({ query }: { query: URLSearchParams }) {
  const settings = settingsOf(query);
  const [view, setView] = useState<SpendView>();
  const [error, setError] = useState<string>();
  const names = useNames();
  const path = spendPath(settings);
  usePolling(
    (signal) =>
      apiGet<SpendView>(path, { signal })
        .then((result) => {
          setView(result);
          setError(undefined);
        })
        .catch((failure: Error) => void (signal.aborted ? undefined : setError(failure.message)))
        .then(() => false),
    0,
    [path],
  );
  const set = (changes: Partial<Settings>) => {
    const next = { ...settings, ...changes };
    const text = new URLSearchParams({ group_by: next.group, range: next.range, ...(next.range === 'custom' ? { from: next.from, to: next.to } : {}) }).toString();
    navigate(`/spend?${text}`, { replace: true });
  };
  const dateInput = (name: 'from' | 'to') => (
    <label>
      {name === 'from' ? 'from (UTC)' : 'to, included (UTC)'}
      <input type="date" name={name} value={settings[name]} onChange={(event) => set({ [name]: (event.target as HTMLInputElement).value })} />
    </label>
  );
  const shown = view?.group_by === settings.group ? view : undefined;
  return (
    <section class="spend-page">
      <h2>Spend</h2>
      <Budgets />
      <h3>Settled spend</h3>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          range
          <select name="range" value={settings.range} onChange={(event) => set({ range: (event.target as HTMLSelectElement).value })}>
            {RANGES.map((entry) => <option key={entry.range} value={entry.range}>{entry.label}</option>)}
          </select>
        </label>
        {settings.range === 'custom' ? dateInput('from') : null}
        {settings.range === 'custom' ? dateInput('to') : null}
      </form>
      <div class="tabs" role="tablist" aria-label="group by">
        {GROUPS.map((entry) => (
          <button key={entry.group} type="button" role="tab" aria-selected={entry.group === settings.group} class={entry.group === settings.group ? 'active' : ''} onClick={() => set({ group: entry.group })}>
            {entry.label}
          </button>
        ))}
      </div>
      {error === undefined ? null : <p class="bad" role="alert">{error}</p>}
      {shown === undefined ? (error === undefined ? <p class="muted">loading…</p> : null) : (
        <>
          <p class="spend-total">
            <strong data-total="cost">{usd(shown.total_cost_usd)}</strong> <span class="muted">
              settled · {count(shown.data.reduce((sum, row) => sum + row.calls, 0))} calls · {count(shown.data.reduce((sum, row) => sum + row.tokens, 0))} tokens · {windowText(settings, shown)}
            </span>
          </p>
          {hasCacheHits(shown) ? (
            <p class="spend-total">
              <strong data-total="saved">{usd(shown.total_saved_usd)}</strong> <span class="muted">saved by cache · {count(shown.total_cache_hits)} calls answered from the cache</span>
            </p>
          ) : null}
          {shown.data.length === 0 ? <p class="muted">No settled spend in this range.</p> : (
            <>
              <BarChart bars={chartBars(shown, names)} format={usd} />
              {shown.group_by !== 'day' && shown.data.length > MAX_BARS ? <p class="muted small">The chart shows the {MAX_BARS} largest of {shown.data.length} groups; the table has them all.</p> : null}
              <SpendTable view={shown} names={names} />
            </>
          )}
        </>
      )}
    </section>
  );
}
