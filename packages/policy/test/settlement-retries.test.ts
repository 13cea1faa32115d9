import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { budgetCounters, insertSpans, ledgerEntries, migrate, type Database, type GantryDb } from '@gantry/db';
import { eq, inArray } from 'drizzle-orm';
import { databaseTargets, type DatabaseTarget } from '../../db/test/test-databases.ts';
import { BudgetGuard, PolicyStore, ReservationSweeper, type CallIdentity } from '../src/index.ts';

/** A connection error, as a driver reports one while the server is away (not a refusal of the data). */
function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
}

/** A database handle that fails every statement while `isDown()` says so, and counts what failed. */
function flaky(db: GantryDb, isDown: () => boolean): { db: GantryDb; failures: () => number } {
  let failures = 0;
  const wrapped = new Proxy(db, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...parameters: unknown[]) => {
        if ((property === 'execute' || property === 'transaction') && isDown()) {
          failures += 1;
          return Promise.reject(connectionRefused());
        }
        return (value as (...parameters: unknown[]) => unknown).apply(target, parameters);
      };
    },
  });
  return { db: wrapped, failures: () => failures };
}

/** Settling a call's per-call reservation while the database is away: retried until it is back, in bounded memory. */
describe.each(databaseTargets)('settlement retries on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;
  let store: PolicyStore;
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

  /** A call in a named run: it reserves per call, and its settlement is one `gantry_settle`. */
  const inRun = (runId: string): CallIdentity => ({ keyId: null, teamId: null, customer: undefined, model: 'm', run: { id: runId, rootRunId: runId, depth: 0, implicit: false, name: undefined } });

  async function states(ids: readonly string[]): Promise<string[]> {
    const rows = await database.db.select().from(ledgerEntries).where(inArray(ledgerEntries.id, [...ids]));
    return ids.map((id) => rows.find((row) => row.id === id)?.state ?? 'missing');
  }

  async function runCounter(runId: string) {
    const [row] = await database.db.select().from(budgetCounters).where(eq(budgetCounters.scope, `run:${runId}`));
    return { spentMicros: row!.spentMicros, reservedMicros: row!.reservedMicros, tokens: row!.tokens };
  }

  it('settles through a database blip longer than the 0.75 s after which settling used to give up', async () => {
    let downUntil = 0;
    const connection = flaky(database.db, () => performance.now() < downUntil);
    const errors: string[] = [];
    const guard = new BudgetGuard(connection.db, store, { leases: false, onError: (error) => errors.push((error as Error).message) });
    closing.push(guard);
    const runId = `blip-run-${++sequence}`;
    const spanId = `span-${++sequence}`;
    const reservation = await guard.reserve(inRun(runId), spanId, { costMicros: 100, tokens: 50 });

    downUntil = performance.now() + 1_500;
    reservation.settle(40, 9);

    await vi.waitFor(async () => expect(await states([spanId])).toEqual(['settled']), { timeout: 10_000, interval: 100 });
    // The first try and the retries at 0.25 s and 0.75 s failed; it kept trying past that.
    expect(connection.failures()).toBeGreaterThanOrEqual(3);
    expect(await runCounter(runId)).toEqual({ spentMicros: 40, reservedMicros: 0, tokens: 9 });
    expect(guard.settlementStats()).toMatchObject({ settled: 1, waiting: 0, leftToSweeper: 0 });
    expect(errors[0]).toMatch(/^settling budget reservations failed \(1 try since the last report\); 1 waiting \(at most 10000\) are retried until the database is back: connect ECONNREFUSED/);
  });

  it('keeps at most maxWaiting settlements while the database is away, leaving the oldest to the sweeper', async () => {
    let down = false;
    const connection = flaky(database.db, () => down);
    const errors: string[] = [];
    const guard = new BudgetGuard(connection.db, store, { leases: false, settlements: { maxWaiting: 2, firstRetryMs: 20 }, onError: (error) => errors.push((error as Error).message) });
    closing.push(guard);
    let clock = new Date();
    const runId = `outage-run-${++sequence}`;
    const ids = Array.from({ length: 5 }, () => `span-${++sequence}`);
    const reservations = [];
    for (const id of ids) reservations.push(await guard.reserve(inRun(runId), id, { costMicros: 100, tokens: 50 }));

    down = true;
    for (const reservation of reservations) reservation.settle(30, 12);
    await vi.waitFor(() => expect(connection.failures()).toBeGreaterThanOrEqual(7), { timeout: 5_000, interval: 10 });
    expect(guard.settlementStats()).toMatchObject({ settled: 0, waiting: 2, leftToSweeper: 3 });

    down = false;
    await guard.drain();
    expect(guard.settlementStats()).toMatchObject({ settled: 2, waiting: 0, leftToSweeper: 3 });
    expect(await states(ids)).toEqual(['reserved', 'reserved', 'reserved', 'settled', 'settled']);
    expect(errors).toContain(`budget settlements waiting for the database are at their bound (2): the oldest (call ${ids[0]}) left to the reservation sweeper, which settles or releases it once it expires`);

    // The sweeper is the safety net: the recorder had written their spans, so they are settled at the calls' cost.
    await insertSpans(database.db, ids.slice(0, 3).map((id) => ({ id, runId, kind: 'llm' as const, status: 'ok' as const, startedAt: clock, costMicros: 30, inputTokens: 8, outputTokens: 4 })));
    clock = new Date(clock.getTime() + 31 * 60_000);
    const sweeper = new ReservationSweeper(database.db, { now: () => clock });
    expect(await sweeper.sweep()).toEqual({ settled: 3, released: 0 });
    expect(await runCounter(runId)).toEqual({ spentMicros: 150, reservedMicros: 0, tokens: 60 });
  });

  it('returns from close while the database is still away, leaving what waits to the sweeper', async () => {
    let down = false;
    const connection = flaky(database.db, () => down);
    const errors: string[] = [];
    const guard = new BudgetGuard(connection.db, store, { leases: false, settlements: { firstRetryMs: 20 }, onError: (error) => errors.push((error as Error).message) });
    const spanId = `span-${++sequence}`;
    const reservation = await guard.reserve(inRun(`closing-run-${++sequence}`), spanId, { costMicros: 100, tokens: 50 });

    down = true;
    reservation.release();
    await guard.close();

    expect(guard.settlementStats()).toMatchObject({ settled: 0, waiting: 0, leftToSweeper: 1 });
    expect(errors.at(-1)).toBe(`closing with 1 budget settlement not written (call ${spanId}): the database is away; the reservation sweeper of any instance settles or releases them once they expire`);
    expect(await states([spanId])).toEqual(['reserved']);
  });

  it('never retries a settlement the database refuses for its values, and leaves it to the sweeper', async () => {
    const connection = flaky(database.db, () => false);
    const errors: string[] = [];
    let statements = 0;
    const counting = new Proxy(connection.db, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (property === 'execute') statements += 1;
        return typeof value === 'function' ? (value as (...parameters: unknown[]) => unknown).bind(target) : value;
      },
    });
    const guard = new BudgetGuard(counting, store, { leases: false, settlements: { firstRetryMs: 20 }, onError: (error) => errors.push((error as Error).message) });
    closing.push(guard);
    const spanId = `span-${++sequence}`;
    const reservation = await guard.reserve(inRun(`refused-run-${++sequence}`), spanId, { costMicros: 100, tokens: 50 });
    const before = statements;

    reservation.settle(1e21, 12);
    await guard.drain();
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(statements - before).toBe(1);
    expect(guard.settlementStats()).toMatchObject({ settled: 0, waiting: 0, leftToSweeper: 1 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^the database refused to settle call ${spanId} \\(settled, 1e\\+21 micro-dollars, 12 tokens\\), not retried; its reservation is left to the sweeper: `));
    expect(await states([spanId])).toEqual(['reserved']);
  });
});
