import { isDataError, isolateRefusedRows, jsonRecordsetOfTexts, jsonRowText, type RefusedRow } from './json-rows.ts';
import { toStorableJson } from '../storable-text.ts';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { budgetCounters, ledgerEntries } from '../schema/budgets.ts';
import type { RunLimits } from '../schema/limits.ts';

/** One counter a reservation checks and draws on. */
export interface LedgerCheck {
  /** Counter scope, e.g. `budget:<id>`, `run:<root id>`, `rate:key:<id>`. */
  scope: string;
  /** Window start (ISO 8601): the period's or minute's start, or the epoch. */
  window: string;
  limitMicros?: number;
  limitCalls?: number;
  limitTokens?: number;
  /**
   * Run counters keep their limits in the row (set from these on first use), so an admin change
   * made on any instance applies everywhere.
   */
  stored?: boolean;
  limitDepth?: number;
  limitWallMs?: number;
  /** The calling run's depth (checked against `limitDepth`). */
  depth?: number;
  /** Lower the stored cost / calls limit to this (an agent's own headers); higher is refused. */
  lowerMicros?: number;
  lowerCalls?: number;
}

/** Who and what a reservation is for; becomes the ledger entry. */
export interface LedgerReservation {
  /** The call's span id. */
  id: string;
  at: Date;
  amountMicros: number;
  tokens: number;
  apiKeyId: string | null;
  teamId: string | null;
  customerId: string | null;
  runId: string | null;
  rootRunId: string | null;
  runName: string | null;
  model: string | null;
  /** Max requests of `apiKeyId` in flight (needs a `parallel:key:<id>` check to serialize on). */
  maxParallel?: number;
  /** Reservations older than this no longer count as in flight (a crashed instance's). */
  parallelTimeoutMs?: number;
}

/** Why a reservation was refused: the first limit it would pass, in (scope, window) order. */
export interface LedgerRefusal {
  ok: false;
  reason: 'cost' | 'calls' | 'tokens' | 'depth' | 'wall_time' | 'parallel' | 'raise';
  scope: string;
  window?: string;
  /** Settled so far (micro-dollars, calls, tokens, depth or milliseconds, by `reason`). */
  spent?: number;
  reserved?: number;
  needed?: number;
  limit: number;
  /** For `raise`: the header that tried to raise a limit. */
  field?: string;
}

export type LedgerOutcome = { ok: true } | LedgerRefusal;

const snake = (check: LedgerCheck) => ({
  scope: check.scope,
  window: check.window,
  limit_micros: check.limitMicros ?? null,
  limit_calls: check.limitCalls ?? null,
  limit_tokens: check.limitTokens ?? null,
  stored: check.stored ?? false,
  limit_depth: check.limitDepth ?? null,
  limit_wall_ms: check.limitWallMs ?? null,
  depth: check.depth ?? null,
  lower_micros: check.lowerMicros ?? null,
  lower_calls: check.lowerCalls ?? null,
});

/**
 * Checks every counter and records the reservation in one statement (`gantry_reserve`): either all
 * counters take it or none does.
 */
export async function reserveInLedger(db: GantryDb, reservation: LedgerReservation, checks: readonly LedgerCheck[]): Promise<LedgerOutcome> {
  const entry = {
    id: reservation.id,
    at: reservation.at.toISOString(),
    amount_micros: reservation.amountMicros,
    tokens: reservation.tokens,
    api_key_id: reservation.apiKeyId,
    team_id: reservation.teamId,
    customer_id: reservation.customerId,
    run_id: reservation.runId,
    root_run_id: reservation.rootRunId,
    run_name: reservation.runName,
    model: reservation.model,
    max_parallel: reservation.maxParallel ?? null,
    parallel_timeout_ms: reservation.parallelTimeoutMs ?? 600_000,
  };
  return (await callJsonFunction(db, sql`select gantry_reserve(${toStorableJson(JSON.stringify(entry))}::jsonb, ${toStorableJson(JSON.stringify(checks.map(snake)))}::jsonb) as outcome`)) as unknown as LedgerOutcome;
}

/**
 * Settles a reservation at its actual cost, or releases it (`micros` ignored). False if already
 * done. A settlement arriving after the sweeper released the entry as expired is still counted.
 * `savedMicros`, for a call answered without a provider (a cache hit), is what a provider would have
 * cost: kept in the entry's `saved_micros` (drizzle/0008_cache_savings.sql).
 */
export async function settleInLedger(db: GantryDb, id: string, state: 'settled' | 'released', micros: number, tokens: number, at: Date, savedMicros?: number): Promise<boolean> {
  const result = await db.execute<{ done: boolean }>(
    sql`select gantry_settle(${id}, ${state}, ${micros}, ${tokens}, ${at.toISOString()}::timestamptz, ${savedMicros ?? null}::bigint) as done`,
  );
  return result.rows[0]?.done === true;
}

/** What one sweep closed (`gantry_sweep`): ids of the entries settled from their span, and of those released. */
export interface SweptReservations {
  settled: string[];
  released: string[];
}

/**
 * Closes up to `limit` reservations made before `before` that are still `reserved`, oldest first,
 * in one statement (`gantry_sweep`, drizzle/0003_reservation_sweeper.sql): each is settled at the
 * usage its call's span recorded, or released when there is no such span, marked
 * `settled_by = 'sweeper'`, and its counters given back as a settlement would. Entries another
 * sweeper (or the call's own settlement) holds at that moment are skipped, so any number of
 * instances may sweep at once and each entry is closed exactly once.
 */
export async function sweepExpiredReservations(db: GantryDb, before: Date, at: Date, limit: number): Promise<SweptReservations> {
  const outcome = await callJsonFunction(db, sql`select gantry_sweep(${before.toISOString()}::timestamptz, ${at.toISOString()}::timestamptz, ${limit}::integer) as outcome`);
  return { settled: outcome.settled as string[], released: outcome.released as string[] };
}

type LedgerEntryRow = typeof ledgerEntries.$inferInsert;

/**
 * A finished call's ledger entry as it waits to be written: its row, and the row's JSON as a batch
 * insert takes it, made when the entry is buffered. That is one call's share of the work (a few
 * µs); made for a whole batch at write time it held the event loop 1.2–4 ms per 540 entries,
 * every 200–250 ms, and calls that arrived meanwhile waited that long.
 */
export interface LedgerEntryWrite {
  row: LedgerEntryRow;
  text: string;
}

/** `row` ready to be buffered and written (see {@link LedgerEntryWrite}); the row must not change afterwards. */
export function ledgerEntryWrite(row: LedgerEntryRow): LedgerEntryWrite {
  return { row, text: jsonRowText(ledgerEntries, row) };
}

function insertEntries(entries: readonly LedgerEntryWrite[]): SQL {
  return sql`insert into ledger_entries select * from ${jsonRecordsetOfTexts(ledgerEntries, entries.map((entry) => entry.text))} on conflict do nothing`;
}

async function writeEntries(db: GantryDb, entries: readonly LedgerEntryWrite[]): Promise<void> {
  if (entries.length > 0) await db.execute(insertEntries(entries));
}

function refusedRows(refused: readonly RefusedRow<LedgerEntryWrite>[]): RefusedRow<LedgerEntryRow>[] {
  return refused.map(({ row, error }) => ({ row: row.row, error }));
}

/**
 * Calls that no limit applied to still count in spend: written settled, after the fact, in batches.
 * Entries the database refuses (a value out of range) are left out and returned, the rest written;
 * any other error is thrown, and the batch may be written again (an entry already there is skipped).
 */
export async function insertSettledEntries(db: GantryDb, entries: readonly LedgerEntryWrite[]): Promise<RefusedRow<LedgerEntryRow>[]> {
  try {
    await writeEntries(db, entries);
    return [];
  } catch (error) {
    if (!isDataError(error)) throw error;
    return refusedRows(await isolateRefusedRows(db, entries, error, writeEntries));
  }
}

const EPOCH = new Date(0);

/** The counter of a run tree (its root), with its stored limits; undefined before its first reservation. */
export async function getRunCounter(db: GantryDb, rootRunId: string) {
  const [row] = await db
    .select()
    .from(budgetCounters)
    .where(and(eq(budgetCounters.scope, `run:${rootRunId}`), eq(budgetCounters.windowStart, EPOCH)));
  return row;
}

/**
 * Sets a run tree's limits (admin): creates the counter when the run has made no call yet.
 * A field left undefined keeps its value; null removes the limit.
 */
export async function setRunLimits(db: GantryDb, rootRunId: string, limits: { [K in keyof RunLimits]?: number | null }) {
  const values = {
    ...(limits.maxCostMicros === undefined ? {} : { limitMicros: limits.maxCostMicros }),
    ...(limits.maxCalls === undefined ? {} : { limitCalls: limits.maxCalls }),
    ...(limits.maxTokens === undefined ? {} : { limitTokens: limits.maxTokens }),
    ...(limits.maxDepth === undefined ? {} : { limitDepth: limits.maxDepth }),
    ...(limits.maxWallMs === undefined ? {} : { limitWallMs: limits.maxWallMs }),
  };
  const [row] = await db
    .insert(budgetCounters)
    .values({ scope: `run:${rootRunId}`, windowStart: EPOCH, ...values })
    .onConflictDoUpdate({ target: [budgetCounters.scope, budgetCounters.windowStart], set: Object.keys(values).length === 0 ? { scope: sql`excluded.scope` } : values })
    .returning();
  return row!;
}

/**
 * A run's counter as its first call leaves it, when that call was checked against the run's limits
 * in memory rather than through the counter (`BudgetGuard`: a call that starts its run). The
 * counter is written with what the call settled at before anything else can build on the run (the
 * Responses API: in the statement that stores the response).
 */
export interface StartedRunCounter {
  rootRunId: string;
  /** The limits the run starts with, as its first reservation would have stored them. */
  limits: RunLimits;
  startedAt: Date;
  spentMicros: number;
  calls: number;
  tokens: number;
}

/**
 * Writes started runs' counters. A counter that exists already (a call naming the run arrived while
 * its first call was in flight, or an admin set its limits) keeps its limits and gains the first
 * call's spend, calls and tokens; its start is the earlier of the two.
 */
export function upsertStartedRunCounters(counters: readonly StartedRunCounter[]): SQL {
  const rows = counters.map(
    ({ rootRunId, limits, startedAt, spentMicros, calls, tokens }) =>
      sql`(${`run:${rootRunId}`}, ${EPOCH.toISOString()}::timestamptz, ${spentMicros}::bigint, ${calls}::integer, ${tokens}::bigint, ${limits.maxCostMicros ?? null}::bigint, ${limits.maxCalls ?? null}::integer,
        ${limits.maxTokens ?? null}::bigint, ${limits.maxDepth ?? null}::integer, ${limits.maxWallMs ?? null}::bigint, ${startedAt.toISOString()}::timestamptz)`,
  );
  // In (scope, window_start) order, as the ledger's functions lock counters, so that none can deadlock with this.
  return sql`insert into budget_counters (scope, window_start, spent_micros, calls, tokens, limit_micros, limit_calls, limit_tokens, limit_depth, limit_wall_ms, created_at)
    select * from (values ${sql.join(rows, sql`, `)}) as v order by 1, 2
    on conflict (scope, window_start) do update set spent_micros = budget_counters.spent_micros + excluded.spent_micros, calls = budget_counters.calls + excluded.calls,
      tokens = budget_counters.tokens + excluded.tokens, created_at = least(budget_counters.created_at, excluded.created_at)`;
}

/** Spent and reserved in one counter window, e.g. for showing a budget's state. */
export async function getCounter(db: GantryDb, scope: string, windowStart: Date) {
  const [row] = await db
    .select()
    .from(budgetCounters)
    .where(and(eq(budgetCounters.scope, scope), eq(budgetCounters.windowStart, windowStart)));
  return row;
}

/** One counter an instance wants headroom on (see `gantry_lease`). Amounts per dimension that has a limit. */
export interface LeaseWant {
  scope: string;
  /** Window start, ISO 8601. */
  window: string;
  limitMicros?: number;
  limitCalls?: number;
  limitTokens?: number;
  /** What the waiting call lacks: refused unless at least this much is left. */
  need: { micros: number; calls: number; tokens: number };
  /** Up to this much more, for the calls after it. */
  want: { micros: number; calls: number; tokens: number };
  /** What this instance already holds unused (so a refusal reports others' holds only). */
  own: { micros: number; calls: number; tokens: number };
  /** The waiting call's whole worst case (for a refusal's message). */
  call: { micros: number; tokens: number };
}

/** What an instance's calls used of one lease since the last sync, and whether to trim the lease to `keep`. */
export interface LeaseSync {
  scope: string;
  window: string;
  used: { micros: number; calls: number; tokens: number };
  keep?: { micros: number; calls: number; tokens: number };
}

/** A lease's hold after the operation (the database's own figures). */
export interface LeaseHold {
  scope: string;
  /** Window start, ISO 8601. */
  window: string;
  micros: number;
  calls: number;
  tokens: number;
}

interface LeaseRow {
  scope: string;
  window: string;
  held_micros: number | string;
  held_calls: number | string;
  held_tokens: number | string;
}

const holds = (rows: readonly LeaseRow[]): LeaseHold[] =>
  rows.map((row) => ({
    scope: row.scope,
    window: new Date(row.window).toISOString(),
    micros: Number(row.held_micros),
    calls: Number(row.held_calls),
    tokens: Number(row.held_tokens),
  }));

/** Runs a ledger function returning one jsonb `outcome` (the driver may hand it over as text). */
async function callJsonFunction(db: GantryDb, query: ReturnType<typeof sql>): Promise<Record<string, unknown>> {
  const result = await db.execute<{ outcome: Record<string, unknown> | string }>(query);
  const outcome = result.rows[0]?.outcome;
  if (outcome === undefined) throw new Error('ledger function returned no row');
  return typeof outcome === 'string' ? (JSON.parse(outcome) as Record<string, unknown>) : outcome;
}

/**
 * Takes headroom for one instance on several counters at once (`gantry_lease`): every counter
 * gives at least what is needed, or nothing changes and the first limit it would pass is returned.
 */
export async function leaseInLedger(db: GantryDb, instanceId: string, at: Date, ttlMs: number, wants: readonly LeaseWant[]): Promise<{ ok: true; leases: LeaseHold[] } | LedgerRefusal> {
  const payload = wants.map((want) => ({
    scope: want.scope,
    window: want.window,
    limit_micros: want.limitMicros ?? null,
    limit_calls: want.limitCalls ?? null,
    limit_tokens: want.limitTokens ?? null,
    need_micros: want.need.micros,
    need_calls: want.need.calls,
    need_tokens: want.need.tokens,
    want_micros: want.want.micros,
    want_calls: want.want.calls,
    want_tokens: want.want.tokens,
    own_micros: want.own.micros,
    own_calls: want.own.calls,
    own_tokens: want.own.tokens,
    call_micros: want.call.micros,
    call_tokens: want.call.tokens,
  }));
  const outcome = await callJsonFunction(
    db,
    sql`select gantry_lease(${instanceId}, ${at.toISOString()}::timestamptz, ${ttlMs}, ${toStorableJson(JSON.stringify(payload))}::jsonb) as outcome`,
  );
  if (outcome.ok !== true) return outcome as unknown as LedgerRefusal;
  return { ok: true, leases: holds(outcome.leases as LeaseRow[]) };
}

/** What {@link syncLeasesInLedger} did. */
export interface LeaseSyncOutcome {
  /** Every synced lease's hold after the sync (a refused sync's lease is not among them). */
  holds: LeaseHold[];
  /** Entries the database refused: not written, and not to be retried. */
  refusedEntries: RefusedRow<LedgerEntryRow>[];
  /** Syncs the database refused (a used amount out of range): not applied, and not to be retried. */
  refusedSyncs: RefusedRow<LeaseSync>[];
}

const syncStatement = (instanceId: string, at: Date, ttlMs: number, syncs: readonly LeaseSync[]) => {
  const payload = syncs.map((sync) => ({
    scope: sync.scope,
    window: sync.window,
    used_micros: sync.used.micros,
    used_calls: sync.used.calls,
    used_tokens: sync.used.tokens,
    trim: sync.keep !== undefined,
    keep_micros: sync.keep?.micros ?? 0,
    keep_calls: sync.keep?.calls ?? 0,
    keep_tokens: sync.keep?.tokens ?? 0,
  }));
  return sql`select gantry_lease_sync(${instanceId}, ${at.toISOString()}::timestamptz, ${ttlMs}, ${toStorableJson(JSON.stringify(payload))}::jsonb, '[]'::json) as outcome`;
};

/**
 * Reports what calls used of an instance's leases and writes their (settled or released) ledger
 * entries in the same transaction (`gantry_lease_sync`); trims leases that carry `keep`.
 * When the database refuses some of it, the refused entries and syncs are found (halving, in one
 * transaction with a savepoint per try), the rest committed together, and the refused ones returned:
 * one tenant's unstorable entry must not stop every lease of the instance from syncing. Any other
 * error is thrown and nothing is written.
 */
export async function syncLeasesInLedger(
  db: GantryDb,
  instanceId: string,
  at: Date,
  ttlMs: number,
  syncs: readonly LeaseSync[],
  entries: readonly LedgerEntryWrite[],
): Promise<LeaseSyncOutcome> {
  const sync = syncStatement(instanceId, at, ttlMs, syncs);
  try {
    // The entries go in through the statement's own insert, as compact rows (see jsonRecordset), in
    // the same transaction as the sync: the function's entries parameter takes full rows only.
    const outcome = await callJsonFunction(
      db,
      entries.length === 0 ? sync : sql`with entries as (${insertEntries(entries)}) ${sync}`,
    );
    return { holds: holds(outcome.leases as LeaseRow[]), refusedEntries: [], refusedSyncs: [] };
  } catch (error) {
    if (!isDataError(error)) throw error;
    return db.transaction(async (tx) => {
      // Which part was refused is not known: the entries are tried as a whole first, then the syncs.
      const refusedEntries = entries.length === 0 ? [] : refusedRows(await isolateRefusedRows(tx, entries, undefined, writeEntries));
      const synced: LeaseHold[] = [];
      const refusedSyncs = await isolateRefusedRows(tx, syncs, undefined, async (inner, some) => {
        const outcome = await callJsonFunction(inner, syncStatement(instanceId, at, ttlMs, some));
        synced.push(...holds(outcome.leases as LeaseRow[]));
      });
      return { holds: synced, refusedEntries, refusedSyncs };
    });
  }
}
