import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetCounters, insertApiKey, insertBudget, ledgerEntries, migrate, type Database } from '@gantry/db';
import { BudgetExceededError, InvalidRequestError, UnavailableError } from '@gantry/spec';
import { eq, sql } from 'drizzle-orm';
import { databaseTargets, type DatabaseTarget } from '../../db/test/test-databases.ts';
import { BudgetGuard, PolicyStore, type CallIdentity } from '../src/index.ts';

describe.each(databaseTargets)('budget guard on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;
  let store: PolicyStore;
  let clock = new Date('2026-11-25T23:59:00Z');
  let guard: BudgetGuard;
  let sequence = 0;

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
    store = new PolicyStore(database.db, { refreshMs: 60_000 });
    guard = new BudgetGuard(database.db, store, { now: () => clock });
  });
  afterAll(async () => {
    store?.close();
    await guard?.close();
    await scratch?.tearDown();
  });

  async function keyWithBudget(period: 'day' | 'week' | 'month' | 'total', limitMicros: number): Promise<string> {
    const id = `key-${++sequence}`;
    await insertApiKey(database.db, { id, name: id, prefix: id, secretHash: id });
    await insertBudget(database.db, { id: `budget-${id}`, scope: 'key', scopeId: id, period, limitMicros });
    await store.reload();
    return id;
  }

  function identity(keyId: string | null, run: Partial<CallIdentity['run']> = {}): CallIdentity {
    const id = run.id ?? `implicit-${++sequence}`;
    return { keyId, teamId: null, customer: undefined, model: 'm', run: { id, rootRunId: run.rootRunId ?? id, depth: run.depth ?? 0, implicit: run.implicit ?? true, name: undefined } };
  }

  it('resets a daily budget at the UTC day boundary and keeps the old day spent', async () => {
    clock = new Date('2026-11-25T23:59:00Z');
    const keyId = await keyWithBudget('day', 100);
    const first = await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 60, tokens: 1 });
    first.settle(60, 1);
    await guard.drain();
    await expect(guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 60, tokens: 1 })).rejects.toThrow(/budget exceeded for key 'key-\d+' \(day budget .*spent \$0\.000060 of \$0\.000100.*reset at 2026-11-26T00:00:00\.000Z/);

    clock = new Date('2026-11-26T00:00:01Z');
    const nextDay = await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 60, tokens: 1 });
    expect(nextDay.reserved).toBe(true);
    nextDay.release();
    await guard.drain();
    const windows = await database.db.select().from(budgetCounters).where(eq(budgetCounters.scope, `budget:budget-${keyId}`));
    expect(windows.map((row) => [row.windowStart.toISOString(), row.spentMicros, row.reservedMicros]).sort()).toEqual([
      ['2026-11-25T00:00:00.000Z', 60, 0],
      ['2026-11-26T00:00:00.000Z', 0, 0],
    ]);
  });

  it('resets weekly budgets on Monday and monthly ones on the 1st, never total ones', async () => {
    const cases = [
      { period: 'week' as const, before: '2026-11-29T23:00:00Z', after: '2026-11-30T00:00:00Z' },
      { period: 'month' as const, before: '2026-11-30T23:00:00Z', after: '2026-12-01T00:00:00Z' },
      { period: 'total' as const, before: '2026-11-30T23:00:00Z', after: '2027-06-01T00:00:00Z' },
    ];
    for (const { period, before, after } of cases) {
      clock = new Date(before);
      const keyId = await keyWithBudget(period, 10);
      (await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 10, tokens: 1 })).settle(10, 1);
      await guard.drain();
      await expect(guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 1, tokens: 1 })).rejects.toBeInstanceOf(BudgetExceededError);
      clock = new Date(after);
      const attempt = guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 1, tokens: 1 });
      if (period === 'total') await expect(attempt).rejects.toBeInstanceOf(BudgetExceededError);
      else (await attempt).release();
    }
  });

  it('lets concurrent reservations together pass no limit, and balances the ledger', async () => {
    clock = new Date('2026-11-25T12:00:00Z');
    const keyId = await keyWithBudget('total', 1_000);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, async (_, index) => {
        const reservation = await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 50, tokens: 10 });
        // Some calls fail (released), the others cost less than reserved.
        if (index % 5 === 0) reservation.release();
        else reservation.settle(40, 8);
      }),
    );
    await guard.drain();
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    for (const outcome of refused) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(BudgetExceededError);
    const [totals] = (
      await database.db.execute<{ reserved: string; settled: string; released: string; open: string; spent: string }>(sql`
        select sum(reserved_micros)::text as reserved,
          coalesce(sum(reserved_micros) filter (where state = 'settled'), 0)::text as settled,
          coalesce(sum(reserved_micros) filter (where state = 'released'), 0)::text as released,
          count(*) filter (where state = 'reserved')::text as open,
          coalesce(sum(settled_micros), 0)::text as spent
        from ${ledgerEntries} where api_key_id = ${keyId}`)
    ).rows;
    expect(Number(totals!.open)).toBe(0);
    expect(Number(totals!.reserved)).toBe(Number(totals!.settled) + Number(totals!.released));
    expect(Number(totals!.spent)).toBeLessThanOrEqual(1_000);
    expect(outcomes.length - refused.length).toBeGreaterThanOrEqual(20);
    const [counter] = await database.db.select().from(budgetCounters).where(eq(budgetCounters.scope, `budget:budget-${keyId}`));
    expect(counter).toMatchObject({ reservedMicros: 0, spentMicros: Number(totals!.spent) });
  });

  it('shares a run budget with sub-runs and lets headers lower it but never raise it', async () => {
    const run = { id: 'root-run', rootRunId: 'root-run', implicit: false };
    const lowered = { ...identity(null, run), lowerRun: { maxCostMicros: 100 } };
    (await guard.reserve(lowered, `span-${++sequence}`, { costMicros: 60, tokens: 1 })).settle(60, 1);
    await guard.drain();
    const child = identity(null, { id: 'child-run', rootRunId: 'root-run', depth: 1, implicit: false });
    await expect(guard.reserve(child, `span-${++sequence}`, { costMicros: 60, tokens: 1 })).rejects.toThrow(/budget exceeded for run child-run \(run tree root-run\): max cost reached, spent \$0\.000060 of \$0\.000100/);
    const raising = { ...identity(null, run), lowerRun: { maxCostMicros: 500 } };
    const error = await guard.reserve(raising, `span-${++sequence}`, { costMicros: 1, tokens: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).param).toBe('x-gantry-run-budget-usd');
  });

  it('checks a call naming no run against its key run defaults in memory, with no counter per call', async () => {
    const keyId = `key-${++sequence}`;
    await insertApiKey(database.db, { id: keyId, name: keyId, prefix: keyId, secretHash: keyId, limits: { run: { maxCostMicros: 50, maxTokens: 100 } } });
    await store.reload();
    const fits = await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 40, tokens: 10 });
    expect(fits.reserved).toBe(false);
    fits.settle(30, 9);
    await expect(guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 60, tokens: 10 })).rejects.toThrow(
      new RegExp(`a call naming no run is a run of its own, limited by key '${keyId}'\\): max cost: this call may cost up to \\$0\\.000060, more than \\$0\\.000050; lower max_tokens, or raise the key's run defaults with PATCH /admin/keys/${keyId}`),
    );
    await expect(guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 10, tokens: 101 })).rejects.toThrow(/max tokens: this call may use up to 101 tokens, more than 100/);
    const lowered = { ...identity(keyId), lowerRun: { maxCostMicros: 20 } };
    await expect(guard.reserve(lowered, `span-${++sequence}`, { costMicros: 30, tokens: 1 })).rejects.toBeInstanceOf(BudgetExceededError);
    const raising = { ...identity(keyId), lowerRun: { maxCostMicros: 500 } };
    const error = await guard.reserve(raising, `span-${++sequence}`, { costMicros: 1, tokens: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).param).toBe('x-gantry-run-budget-usd');
    await guard.drain();
    const runCounters = await database.db.execute<{ count: string }>(sql`select count(*)::text as count from ${budgetCounters} where scope like 'run:implicit-%'`);
    expect(Number(runCounters.rows[0]!.count)).toBe(0);
  });

  it("checks each call against the caller's current limits and its own headers, however many came before", async () => {
    const keyId = await keyWithBudget('total', 1_000_000);
    (await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 30, tokens: 1 })).settle(30, 1);
    // Same caller, same minute: a header lowering its run's budget still applies to this call.
    const lowered = { ...identity(keyId), lowerRun: { maxCostMicros: 20 } };
    await expect(guard.reserve(lowered, `span-${++sequence}`, { costMicros: 30, tokens: 1 })).rejects.toBeInstanceOf(BudgetExceededError);
    // A budget added meanwhile applies to the very next call.
    await insertBudget(database.db, { id: `budget-small-${keyId}`, scope: 'key', scopeId: keyId, period: 'day', limitMicros: 10 });
    await store.reload();
    await expect(guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 30, tokens: 1 })).rejects.toThrow(/budget exceeded for key 'key-\d+' \(day budget/);
    await guard.drain();
  });

  it('fails closed with a 503 when the ledger cannot be reached', async () => {
    const scratchDatabase = await scratch.open();
    await migrate(scratchDatabase);
    const isolatedStore = new PolicyStore(scratchDatabase.db, { refreshMs: 60_000 });
    const isolated = new BudgetGuard(scratchDatabase.db, isolatedStore);
    await scratchDatabase.close();
    const error = await isolated.reserve(identity(null, { id: 'named', implicit: false }), 'span-x', { costMicros: 1, tokens: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).status).toBe(503);
    expect((error as UnavailableError).message).toMatch(/fail closed/);
    isolatedStore.close();
  });
});
