import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { budgetCounters, insertApiKey, insertBudget, ledgerEntries, migrate, newId, type Database, type GantryDb } from '@gantry/db';
import { databaseTargets, type DatabaseTarget } from '../../db/test/test-databases.ts';
import { BudgetGuard, PolicyStore, type CallIdentity } from '../src/index.ts';
import { SettledEntryWriter } from '../src/settled-entry-writer.ts';

/** Past bigint: what a provider's absurd usage report can cost. JSON writes it 1e+21. */
const OUT_OF_RANGE = 1e21;

/** Counts the raw statements sent through a drizzle handle. */
function counting(db: GantryDb): { db: GantryDb; statements: () => number } {
  let statements = 0;
  const wrapped = new Proxy(db, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...parameters: unknown[]) => {
        if (property === 'execute' || property === 'transaction') statements += 1;
        return (value as (...parameters: unknown[]) => unknown).apply(target, parameters);
      };
    },
  });
  return { db: wrapped, statements: () => statements };
}

describe.each(databaseTargets)('ledger entries the database refuses, on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;
  let store: PolicyStore;
  const closing: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
    store = new PolicyStore(database.db, { refreshMs: 60_000 });
  });
  afterAll(async () => {
    store?.close();
    for (const each of closing) await each.close().catch(() => {});
    await scratch?.tearDown();
  });

  async function entryIds(ids: readonly string[]): Promise<string[]> {
    const rows = await database.db.select({ id: ledgerEntries.id }).from(ledgerEntries).where(inArray(ledgerEntries.id, [...ids]));
    return rows.map((row) => row.id).sort();
  }

  it('writes every settled entry but the refused one, reports it once, and never retries it', async () => {
    const errors: string[] = [];
    const counted = counting(database.db);
    const writer = new SettledEntryWriter(counted.db, (error) => errors.push((error as Error).message));
    closing.push(writer);
    const entries = Array.from({ length: 6 }, (_, index) => ({
      id: newId(),
      state: 'settled' as const,
      createdAt: new Date(),
      customerId: index === 1 ? 'lone \ud800 and NUL \u0000' : null,
      settledMicros: index === 3 ? OUT_OF_RANGE : 10,
    }));
    for (const entry of entries) writer.add(entry);
    await writer.flush();

    const refused = entries[3]!;
    expect(await entryIds(entries.map((entry) => entry.id))).toEqual(entries.filter((entry) => entry !== refused).map((entry) => entry.id).sort());
    expect(writer.getStats()).toEqual({ written: 5, dropped: 0, refused: 1, buffered: 0 });
    expect(writer.refusedEntries().map(({ row }) => row)).toEqual([refused]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^the database refused 1 settled ledger entry \\(call ${refused.id}\\), set aside and never retried; the rest of the batch is written: invalid input syntax for type bigint`));

    const statements = counted.statements();
    await writer.flush();
    expect(counted.statements()).toBe(statements);
    expect(errors).toHaveLength(1);
  });

  it('keeps syncing every other lease and writing its entries when one call settles at a cost the database refuses', async () => {
    const onError = vi.fn();
    const guard = new BudgetGuard(database.db, store, { onError });
    closing.push(guard);
    const keys = [`refused-key-${newId()}`, `other-key-${newId()}`];
    for (const keyId of keys) {
      await insertApiKey(database.db, { id: keyId, name: keyId, prefix: keyId, secretHash: keyId });
      await insertBudget(database.db, { id: `budget-${keyId}`, scope: 'key', scopeId: keyId, period: 'total', limitMicros: 1_000_000 });
    }
    await store.reload();
    const identity = (keyId: string): CallIdentity => {
      const id = `run-${newId()}`;
      return { keyId, teamId: null, customer: undefined, model: 'm', run: { id, rootRunId: id, depth: 0, implicit: true, name: undefined } };
    };
    const [hostile, other] = [newId(), newId()];
    (await guard.reserve(identity(keys[0]!), hostile, { costMicros: 100, tokens: 5 })).settle(OUT_OF_RANGE, 5);
    (await guard.reserve(identity(keys[1]!), other, { costMicros: 100, tokens: 5 })).settle(70, 5);

    // Before, the sync failed on the refused value and was retried forever: this rejected, and every
    // lease of the instance lapsed (503s for every team) once its time ran out.
    await guard.drain();
    expect(await entryIds([hostile, other])).toEqual([other]);
    const [counter] = await database.db.select().from(budgetCounters).where(eq(budgetCounters.scope, `budget:budget-${keys[1]}`));
    expect(counter).toMatchObject({ spentMicros: 70, reservedMicros: 0 });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: expect.stringMatching(new RegExp(`^budget lease sync: the database refused 1 ledger entry \\(call ${hostile}\\) and the use of 1 lease \\(budget:budget-${keys[0]}\\), set aside and never retried`)) }));
    // Private, as the guard keeps it: what it set aside is counted and kept.
    expect(guard['leases']?.refusedInSyncs()).toMatchObject({ entries: 1, syncs: 1, kept: [{ row: { id: hostile } }, { row: { scope: `budget:budget-${keys[0]}` } }] });

    // The next calls of both keys sync as usual.
    const later = newId();
    (await guard.reserve(identity(keys[1]!), later, { costMicros: 100, tokens: 5 })).settle(30, 5);
    await guard.drain();
    expect(await entryIds([later])).toEqual([later]);
    expect((await database.db.select().from(budgetCounters).where(eq(budgetCounters.scope, `budget:budget-${keys[1]}`)))[0]?.spentMicros).toBe(100);
  });
});
