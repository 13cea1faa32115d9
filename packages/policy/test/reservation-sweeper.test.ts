import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  budgetCounters,
  insertApiKey,
  insertBudget,
  insertSpans,
  ledgerEntries,
  migrate,
  reserveInLedger,
  settleInLedger,
  type Database,
  type GantryDb,
  type LedgerCheck,
} from '@gantry/db';
import { eq, inArray, like } from 'drizzle-orm';
import { databaseTargets, type DatabaseTarget } from '../../db/test/test-databases.ts';
import { BudgetGuard, PolicyStore, ReservationSweeper, type CallIdentity } from '../src/index.ts';

const MINUTE = 60_000;
const EXPIRY = 30 * MINUTE;
const EPOCH = new Date(0).toISOString();

/** Reservations left open by a call that never settled (its instance crashed), closed by the sweeper once expired. */
describe.each(databaseTargets)('reservation sweeper on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;
  let store: PolicyStore;
  let clock = new Date('2026-11-25T12:00:00Z');
  const closing: Array<{ close(): Promise<void> }> = [];
  let sequence = 0;

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
    store = new PolicyStore(database.db, { refreshMs: 60_000 });
  });
  afterAll(async () => {
    store?.close();
    for (const each of closing) await each.close();
    await scratch?.tearDown();
  });

  function guard(): BudgetGuard {
    const made = new BudgetGuard(database.db, store, { now: () => clock, leases: false });
    closing.push(made);
    return made;
  }

  function sweeper(db: GantryDb = database.db, options: { batchSize?: number } = {}): ReservationSweeper {
    const made = new ReservationSweeper(db, { expiryMs: EXPIRY, now: () => clock, ...options });
    closing.push(made);
    return made;
  }

  async function keyWithBudget(): Promise<{ keyId: string; scope: string }> {
    const keyId = `sweep-key-${++sequence}`;
    await insertApiKey(database.db, { id: keyId, name: keyId, prefix: keyId, secretHash: keyId });
    await insertBudget(database.db, { id: `budget-${keyId}`, scope: 'key', scopeId: keyId, period: 'total', limitMicros: 1_000_000 });
    await store.reload();
    return { keyId, scope: `budget:budget-${keyId}` };
  }

  /** A call in a named run: named runs reserve per call (decision 0005), the entries the sweeper is for. */
  const inRun = (keyId: string, runId: string): CallIdentity => ({ keyId, teamId: null, customer: undefined, model: 'm', run: { id: runId, rootRunId: runId, depth: 0, implicit: false, name: undefined } });

  async function counter(scope: string) {
    const [row] = await database.db.select().from(budgetCounters).where(eq(budgetCounters.scope, scope));
    return { spentMicros: row!.spentMicros, reservedMicros: row!.reservedMicros, calls: row!.calls, tokens: row!.tokens };
  }

  async function entry(id: string) {
    const [row] = await database.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, id));
    return { state: row!.state, settledBy: row!.settledBy, settledMicros: row!.settledMicros, settledTokens: row!.settledTokens };
  }

  /** The llm span a call's recorder writes: it shares the ledger entry's id. */
  function span(id: string, runId: string, usage: { costMicros: number; inputTokens: number; outputTokens: number } | undefined) {
    return {
      id,
      runId,
      kind: 'llm' as const,
      status: usage === undefined ? ('error' as const) : ('ok' as const),
      startedAt: clock,
      endedAt: clock,
      costMicros: usage?.costMicros ?? 0,
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
    };
  }

  it('settles an expired reservation at its span’s usage and releases those without usage, giving counters back as the call would have', async () => {
    clock = new Date('2026-11-25T12:00:00Z');
    const crashed = await keyWithBudget();
    const control = await keyWithBudget();
    const crashedRun = `crashed-run-${++sequence}`;
    const controlRun = `control-run-${++sequence}`;
    const estimates = [
      { costMicros: 100, tokens: 50 },
      { costMicros: 80, tokens: 40 },
      { costMicros: 60, tokens: 30 },
    ];
    // The crashed instance reserved three calls, then died: its reservations are never settled.
    const dying = guard();
    const crashedIds = estimates.map(() => `span-${++sequence}`);
    for (const [index, estimate] of estimates.entries()) await dying.reserve(inRun(crashed.keyId, crashedRun), crashedIds[index]!, estimate);
    // Its recorder had written two of the calls' spans: one answered, one failed (no usage); the third left none.
    await insertSpans(database.db, [span(crashedIds[0]!, crashedRun, { costMicros: 30, inputTokens: 8, outputTokens: 4 }), span(crashedIds[2]!, crashedRun, undefined)]);

    // The same three calls on a live instance: settled, released (no answer), released (failed).
    const live = guard();
    const reservations = [];
    for (const estimate of estimates) reservations.push(await live.reserve(inRun(control.keyId, controlRun), `span-${++sequence}`, estimate));
    reservations[0]!.settle(30, 12);
    reservations[1]!.release();
    reservations[2]!.release();
    await live.drain();

    clock = new Date(clock.getTime() + EXPIRY - MINUTE);
    expect(await sweeper().sweep()).toEqual({ settled: 0, released: 0 });
    expect((await entry(crashedIds[0]!)).state).toBe('reserved');
    expect(await counter(crashed.scope)).toMatchObject({ reservedMicros: 240, spentMicros: 0 });

    clock = new Date(clock.getTime() + 2 * MINUTE);
    expect(await sweeper().sweep()).toEqual({ settled: 1, released: 2 });
    expect(await entry(crashedIds[0]!)).toEqual({ state: 'settled', settledBy: 'sweeper', settledMicros: 30, settledTokens: 12 });
    expect(await entry(crashedIds[1]!)).toEqual({ state: 'released', settledBy: 'sweeper', settledMicros: 0, settledTokens: 0 });
    expect(await entry(crashedIds[2]!)).toEqual({ state: 'released', settledBy: 'sweeper', settledMicros: 0, settledTokens: 0 });
    expect(await counter(crashed.scope)).toEqual({ spentMicros: 30, reservedMicros: 0, calls: 3, tokens: 12 });
    expect(await counter(crashed.scope)).toEqual(await counter(control.scope));
    expect(await counter(`run:${crashedRun}`)).toEqual(await counter(`run:${controlRun}`));
    expect(await sweeper().sweep()).toEqual({ settled: 0, released: 0 });
  });

  it('counts a call that settles after the sweeper released it, and never twice one the sweeper settled', async () => {
    clock = new Date('2026-11-25T13:00:00Z');
    const { keyId, scope } = await keyWithBudget();
    const runId = `long-run-${++sequence}`;
    const instance = guard();
    // Still streaming at its expiry, no span yet: released. Finished beforehand but its settlement
    // never got through: settled from its span.
    const streamingId = `span-${++sequence}`;
    const streaming = await instance.reserve(inRun(keyId, runId), streamingId, { costMicros: 100, tokens: 50 });
    const finishedId = `span-${++sequence}`;
    const finished = await instance.reserve(inRun(keyId, runId), finishedId, { costMicros: 100, tokens: 50 });
    await insertSpans(database.db, [span(finishedId, runId, { costMicros: 30, inputTokens: 8, outputTokens: 4 })]);
    clock = new Date(clock.getTime() + EXPIRY + MINUTE);
    expect(await sweeper().sweep()).toEqual({ settled: 1, released: 1 });
    expect(await counter(scope)).toEqual({ spentMicros: 30, reservedMicros: 0, calls: 2, tokens: 12 });

    streaming.settle(45, 20);
    finished.settle(30, 12);
    await instance.drain();

    expect(await counter(scope)).toEqual({ spentMicros: 75, reservedMicros: 0, calls: 2, tokens: 32 });
    expect(await counter(`run:${runId}`)).toEqual({ spentMicros: 75, reservedMicros: 0, calls: 2, tokens: 32 });
    expect(await entry(streamingId)).toEqual({ state: 'settled', settledBy: 'late_call', settledMicros: 45, settledTokens: 20 });
    expect(await entry(finishedId)).toEqual({ state: 'settled', settledBy: 'sweeper', settledMicros: 30, settledTokens: 12 });
  });

  it('closes each expired reservation exactly once with two sweepers at once, beside new reservations and late settlements on the same counters', async () => {
    clock = new Date('2026-11-25T14:00:00Z');
    const tag = `race${++sequence}`;
    const budgets = [0, 1, 2].map((index) => `budget:${tag}-${index}`);
    const runs = [0, 1, 2, 3].map((index) => `run:${tag}-${index}`);
    // Each entry holds counters in a different combination, so sweeping several at once must lock
    // them in one global order (as gantry_reserve does) or deadlock.
    const checksOf = (index: number): LedgerCheck[] => [
      { scope: budgets[index % 3]!, window: EPOCH, limitMicros: 1e12 },
      { scope: budgets[(index + 1) % 3]!, window: EPOCH, limitMicros: 1e12 },
      { scope: runs[(index * 7) % 4]!, window: EPOCH, stored: true },
    ];
    const reservationOf = (id: string, index: number, at: Date) => ({
      id,
      at,
      amountMicros: 100 + index,
      tokens: 10 + index,
      apiKeyId: null,
      teamId: null,
      customerId: null,
      runId: runs[(index * 7) % 4]!.slice(4),
      rootRunId: runs[(index * 7) % 4]!.slice(4),
      runName: null,
      model: 'm',
    });
    const expired = Array.from({ length: 150 }, (_, index) => `${tag}-old-${index}`);
    for (const [index, id] of expired.entries()) expect(await reserveInLedger(database.db, reservationOf(id, index, clock), checksOf(index))).toEqual({ ok: true });
    await insertSpans(
      database.db,
      expired.filter((_, index) => index % 2 === 0).map((id, half) => span(id, 'run', { costMicros: 20 + half, inputTokens: 3, outputTokens: half })),
    );

    clock = new Date(clock.getTime() + EXPIRY + MINUTE);
    // On Postgres, two instances: two pools on one database. PGlite has one connection.
    const other = target.kind === 'postgres' ? await scratch.open() : database;
    // Connected before the race, so both sweepers start together.
    await other.ping();
    const first = sweeper(database.db, { batchSize: 7 });
    const second = sweeper(other.db, { batchSize: 7 });
    const fresh = Array.from({ length: 30 }, (_, index) => `${tag}-new-${index}`);
    const [one, two] = await Promise.all([
      first.sweep(),
      second.sweep(),
      ...fresh.map(async (id, index) => expect(await reserveInLedger(other.db, reservationOf(id, index, clock), checksOf(index + 1))).toEqual({ ok: true })),
      // Some calls' own settlements arrive at the same moment (late, or racing the sweep).
      ...expired.slice(0, 12).map((id) => settleInLedger(index(id) % 3 === 0 ? other.db : database.db, id, 'settled', 5, 2, clock)),
    ]);

    const rows = await database.db.select().from(ledgerEntries).where(like(ledgerEntries.id, `${tag}-%`));
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of expired) expect(byId.get(id)!.state).not.toBe('reserved');
    for (const id of fresh) expect(byId.get(id)!.state).toBe('reserved');
    // Closed by a sweeper, whether or not their call settled them late afterwards.
    const swept = rows.filter((row) => row.settledBy === 'sweeper' || row.settledBy === 'late_call');
    expect(one!.settled + one!.released + two!.settled + two!.released).toBe(swept.length);
    expect(swept.length).toBeGreaterThanOrEqual(expired.length - 12);
    for (const [position, id] of expired.entries()) {
      const row = byId.get(id)!;
      const closedBy = { state: row.state, settledBy: row.settledBy, settledMicros: row.settledMicros };
      const bySweeper = position % 2 === 0 ? { state: 'settled', settledBy: 'sweeper', settledMicros: 20 + position / 2 } : { state: 'released', settledBy: 'sweeper', settledMicros: 0 };
      const byCall = { state: 'settled', settledBy: null, settledMicros: 5 };
      // A call settling after the sweeper released it is counted (late); after it settled it from the span, not again.
      const byLateCall = { ...byCall, settledBy: 'late_call' };
      if (position >= 12) expect(closedBy).toEqual(bySweeper);
      else if (position % 2 === 1) expect([byCall, byLateCall]).toContainEqual(closedBy);
      else expect([bySweeper, byCall]).toContainEqual(closedBy);
    }

    // Every counter holds exactly what its entries say: open ones reserved, closed ones spent, once.
    const counters = await database.db.select().from(budgetCounters).where(inArray(budgetCounters.scope, [...budgets, ...runs]));
    expect(counters).toHaveLength(budgets.length + runs.length);
    for (const row of counters) {
      const mine = rows.filter((each) => each.scopes.some((held) => held.scope === row.scope));
      const open = mine.filter((each) => each.state === 'reserved');
      const closed = mine.filter((each) => each.state !== 'reserved');
      const sum = (list: typeof rows, pick: (each: (typeof rows)[number]) => number) => list.reduce((total, each) => total + pick(each), 0);
      expect({ scope: row.scope, reserved: row.reservedMicros, spent: row.spentMicros, tokens: row.tokens, calls: row.calls }).toEqual({
        scope: row.scope,
        reserved: sum(open, (each) => each.reservedMicros),
        spent: sum(closed, (each) => each.settledMicros),
        tokens: sum(open, (each) => each.reservedTokens) + sum(closed, (each) => each.settledTokens),
        calls: mine.length,
      });
    }
  });
});

/** The position of a test entry in its list, from its id. */
function index(id: string): number {
  return Number(id.slice(id.lastIndexOf('-') + 1));
}
