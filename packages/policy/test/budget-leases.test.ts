import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetCounters, budgetLeases, insertApiKey, insertBudget, ledgerEntries, migrate, updateBudget, type Database } from '@gantry/db';
import { BudgetExceededError, UnavailableError } from '@gantry/spec';
import { eq, sql } from 'drizzle-orm';
import { databaseTargets, type DatabaseTarget } from '../../db/test/test-databases.ts';
import { BudgetGuard, PolicyStore, type CallIdentity } from '../src/index.ts';

/** Budget leases (decision 0006): instances draw on held headroom in memory, and never together pass a limit. */
describe.each(databaseTargets)('budget leases on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;
  let store: PolicyStore;
  const guards: BudgetGuard[] = [];
  let sequence = 0;

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
    store = new PolicyStore(database.db, { refreshMs: 60_000 });
  });
  afterAll(async () => {
    store?.close();
    for (const guard of guards) await guard.close();
    await scratch?.tearDown();
  });

  function instance(leases: ConstructorParameters<typeof BudgetGuard>[2] extends infer O ? (O extends { leases?: infer L } ? L : never) : never = {}): BudgetGuard {
    const guard = new BudgetGuard(database.db, store, { leases });
    guards.push(guard);
    return guard;
  }

  async function keyWithBudget(limitMicros: number): Promise<{ keyId: string; scope: string }> {
    const keyId = `lease-key-${++sequence}`;
    await insertApiKey(database.db, { id: keyId, name: keyId, prefix: keyId, secretHash: keyId });
    await insertBudget(database.db, { id: `budget-${keyId}`, scope: 'key', scopeId: keyId, period: 'total', limitMicros });
    await store.reload();
    return { keyId, scope: `budget:budget-${keyId}` };
  }

  const identity = (keyId: string): CallIdentity => {
    const id = `run-${++sequence}`;
    return { keyId, teamId: null, customer: undefined, model: 'm', run: { id, rootRunId: id, depth: 0, implicit: true, name: undefined } };
  };

  async function counter(scope: string) {
    const [row] = await database.db.select().from(budgetCounters).where(eq(budgetCounters.scope, scope));
    return row!;
  }

  it('takes a total budget’s headroom once when its first call comes in the last seconds of a minute', async () => {
    // The minute's end starts taking the next minute's windows ahead; a budget's window does not
    // change then, and its lease, still in the making by that first call, must not be taken twice.
    const lastSeconds = () => new Date(Math.floor(Date.now() / 60_000) * 60_000 + 59_500);
    const guard = new BudgetGuard(database.db, store, { leases: {}, now: lastSeconds });
    guards.push(guard);
    const { keyId, scope } = await keyWithBudget(1_000_000);
    const first = await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 100, tokens: 5 });
    await expect.poll(async () => (await counter(scope)).reservedMicros).toBe(6_500);
    first.release();
    await guard.drain();
  });

  it('takes headroom ahead of need, so later calls are decided in memory', async () => {
    const guard = instance();
    const { keyId, scope } = await keyWithBudget(1_000_000);
    const first = await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 100, tokens: 5 });
    // The first call's own 100 plus up to 64 calls ahead (a quarter of what is left caps it).
    await expect.poll(async () => (await counter(scope)).reservedMicros).toBe(6_500);
    const [lease] = await database.db.select().from(budgetLeases).where(eq(budgetLeases.scope, scope));
    expect(lease).toMatchObject({ instanceId: expect.any(String), heldMicros: 6_500 });
    const later = [];
    for (let call = 0; call < 20; call++) later.push(await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 100, tokens: 5 }));
    // Twenty more calls fit in the hold: nothing more was taken.
    expect((await counter(scope)).reservedMicros).toBe(6_500);
    first.settle(80, 4);
    for (const reservation of later) reservation.release();
    await guard.drain();
    expect(await counter(scope)).toMatchObject({ spentMicros: 80, reservedMicros: 0, calls: 21, tokens: 4 });
    const entries = await database.db.select().from(ledgerEntries).where(eq(ledgerEntries.apiKeyId, keyId));
    expect(entries).toHaveLength(21);
    expect(entries.filter((entry) => entry.state === 'settled')).toMatchObject([{ settledMicros: 80, reservedMicros: 100, settledTokens: 4 }]);
    expect(await database.db.select().from(budgetLeases).where(eq(budgetLeases.scope, scope))).toEqual([]);
  });

  it('lets two instances drawing concurrently together pass no limit, and balances the ledger', async () => {
    const [a, b] = [instance(), instance()];
    const { keyId, scope } = await keyWithBudget(2_000);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 80 }, async (_, index) => {
        const reservation = await (index % 2 === 0 ? a : b).reserve(identity(keyId), `span-${++sequence}`, { costMicros: 50, tokens: 10 });
        await new Promise((resolve) => setTimeout(resolve, index % 7));
        if (index % 5 === 0) reservation.release();
        else reservation.settle(45, 8);
      }),
    );
    await Promise.all([a.drain(), b.drain()]);
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    for (const outcome of refused) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(BudgetExceededError);
    const accepted = outcomes.length - refused.length;
    // 2000 / 50 = 40 worst cases in flight at once; released calls give theirs back.
    expect(accepted).toBeGreaterThanOrEqual(20);
    const [totals] = (
      await database.db.execute<{ count: string; settled: string }>(
        sql`select count(*)::text as count, coalesce(sum(settled_micros), 0)::text as settled from ${ledgerEntries} where api_key_id = ${keyId}`,
      )
    ).rows;
    expect(Number(totals!.count)).toBe(accepted);
    // No call used more than it reserved: the settled total never passed the limit.
    expect(Number(totals!.settled)).toBeLessThanOrEqual(2_000);
    expect(await counter(scope)).toMatchObject({ spentMicros: Number(totals!.settled), reservedMicros: 0, calls: accepted });
  });

  it('takes back the hold of an instance that stopped syncing once its lease expires', async () => {
    const vanished = instance({ ttlMs: 300, syncMs: 3_600_000 });
    const survivor = instance();
    const { keyId, scope } = await keyWithBudget(1_000);
    await vanished.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 100, tokens: 1 });
    const held = (await counter(scope)).reservedMicros;
    expect(held).toBeGreaterThan(100);
    await expect(survivor.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 1_000 - held + 1, tokens: 1 })).rejects.toBeInstanceOf(BudgetExceededError);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const after = await survivor.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 1_000 - 100, tokens: 1 });
    after.release();
    await survivor.drain();
    expect(await counter(scope)).toMatchObject({ reservedMicros: 0 });
  });

  it('applies a lowered limit at once to the headroom already held', async () => {
    const guard = instance();
    const { keyId, scope } = await keyWithBudget(100_000);
    (await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 10, tokens: 1 })).settle(10, 1);
    expect((await counter(scope)).reservedMicros).toBeGreaterThan(100);
    await updateBudget(database.db, `budget-${keyId}`, { limitMicros: 100 });
    await store.reload();
    const accepted = [];
    for (let call = 0; call < 20; call++) {
      accepted.push(await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 10, tokens: 1 }).catch((error: unknown) => error));
    }
    const refusals = accepted.filter((outcome) => outcome instanceof BudgetExceededError);
    expect(accepted.length - refusals.length).toBe(9);
    for (const reservation of accepted) if (!(reservation instanceof Error)) (reservation as { release(): void }).release();
    await guard.drain();
    expect(await counter(scope)).toMatchObject({ spentMicros: 10, reservedMicros: 0 });
  });

  it('lets a call that costs nothing (an unpriced model) through a budget and still counts it', async () => {
    const guard = instance();
    const { keyId, scope } = await keyWithBudget(1_000);
    const reservation = await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 0, tokens: 7 });
    reservation.settle(0, 7);
    await guard.drain();
    expect(await counter(scope)).toMatchObject({ spentMicros: 0, reservedMicros: 0, calls: 1, tokens: 7 });
  });

  it("takes the next minute's rate window ahead, so the minute's first call draws in memory", async () => {
    let clock = new Date('2026-03-02T10:00:58.500Z');
    const guard = new BudgetGuard(database.db, store, { now: () => clock });
    guards.push(guard);
    const keyId = `lease-key-${++sequence}`;
    await insertApiKey(database.db, { id: keyId, name: keyId, prefix: keyId, secretHash: keyId, limits: { rpm: 100_000 } });
    await store.reload();
    const scope = `rate:key:${keyId}`;
    const windows = async () =>
      Object.fromEntries(
        (await database.db.select().from(budgetCounters).where(eq(budgetCounters.scope, scope))).map((row) => [row.windowStart.toISOString().slice(11, 16), row.calls]),
      );
    // 1.5 s before the minute ends: the call's own window, and the next one taken ahead in the background.
    (await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 1, tokens: 1 })).settle(1, 1);
    await expect.poll(windows).toEqual({ '10:00': 65, '10:01': 64 });
    clock = new Date('2026-03-02T10:01:00.200Z');
    (await guard.reserve(identity(keyId), `span-${++sequence}`, { costMicros: 1, tokens: 1 })).settle(1, 1);
    // Drawn on the hold taken ahead: the counter was not asked again.
    expect(await windows()).toEqual({ '10:00': 65, '10:01': 64 });
    await guard.drain();
    expect(await windows()).toEqual({ '10:00': 1, '10:01': 1 });
  });

  it('fails closed with a 503 when a lease cannot be taken', async () => {
    const isolated = await scratch.open();
    await migrate(isolated);
    await insertApiKey(isolated.db, { id: 'closed-key', name: 'closed-key', prefix: 'closed-key', secretHash: 'closed-key' });
    await insertBudget(isolated.db, { id: 'closed-budget', scope: 'key', scopeId: 'closed-key', period: 'day', limitMicros: 1_000_000 });
    const isolatedStore = new PolicyStore(isolated.db, { refreshMs: 60_000 });
    await isolatedStore.reload();
    const guard = new BudgetGuard(isolated.db, isolatedStore);
    await isolated.close();
    const error = await guard.reserve(identity('closed-key'), 'span-closed', { costMicros: 1, tokens: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).message).toMatch(/fail closed/);
    isolatedStore.close();
  });
});
