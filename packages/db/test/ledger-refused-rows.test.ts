import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetCounters, insertSettledEntries, ledgerEntries, ledgerEntryWrite, migrate, newId, syncLeasesInLedger, type Database, type GantryDb } from '../src/index.ts';
import { databaseTargets, type DatabaseTarget } from './test-databases.ts';

type Entry = typeof ledgerEntries.$inferInsert;

const entry = (overrides: Partial<Entry> = {}): Entry => ({ id: newId(), state: 'settled', settledMicros: 10, createdAt: new Date('2030-01-01T00:00:00Z'), ...overrides });

/** A drizzle handle that counts the statements sent through it (transactions' included). */
function counting(db: GantryDb): { db: GantryDb; statements: () => number } {
  let statements = 0;
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, property) {
        const value: unknown = Reflect.get(object, property, object);
        if (typeof value !== 'function') return value;
        if (property === 'execute') {
          return (...parameters: unknown[]) => {
            statements += 1;
            return (value as (...parameters: unknown[]) => unknown).apply(object, parameters);
          };
        }
        if (property === 'transaction') {
          return (work: (tx: GantryDb) => Promise<unknown>) => (value as (work: (tx: GantryDb) => Promise<unknown>) => unknown).call(object, (tx: GantryDb) => work(wrap(tx)));
        }
        return (value as (...parameters: unknown[]) => unknown).bind(object);
      },
    });
  return { db: wrap(db), statements: () => statements };
}

describe.each(databaseTargets)('ledger batches with rows the database refuses, on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
  });
  afterAll(async () => {
    await scratch?.tearDown();
  });

  async function storedIds(entries: readonly Entry[]): Promise<string[]> {
    const rows = await database.db.select({ id: ledgerEntries.id }).from(ledgerEntries).where(inArray(ledgerEntries.id, entries.map((row) => row.id)));
    return rows.map((row) => row.id).sort();
  }

  it('writes every settled entry but those the database refuses, and returns those with their errors', async () => {
    // 1e21 micro-dollars is past bigint (JSON writes it 1e+21); a lone surrogate is storable now.
    const bad = [entry({ settledMicros: 1e21 }), entry({ settledTokens: 2 ** 70 })];
    const good = Array.from({ length: 30 }, (_, index) => entry({ customerId: index === 3 ? '\ud800\u0000' : `customer-${index}` }));
    const batch = [...good.slice(0, 10), bad[0]!, ...good.slice(10, 20), bad[1]!, ...good.slice(20)];
    const counted = counting(database.db);

    const refused = await insertSettledEntries(counted.db, batch.map(ledgerEntryWrite));

    expect(refused.map((each) => each.row)).toEqual(bad);
    expect(refused.map((each) => (each.error as { cause?: { code?: string } }).cause?.code)).toEqual(['22P02', '22P02']);
    expect(await storedIds(batch)).toEqual(good.map((row) => row.id).sort());
    // Halving: about 2 × log2(32) statements per refused row, not one per row.
    expect(counted.statements()).toBeLessThanOrEqual(1 + 2 * 2 * Math.ceil(Math.log2(batch.length)));
    // Written again (a retry after a lost connection): what is there is skipped, the same rows refused.
    expect((await insertSettledEntries(database.db, batch.map(ledgerEntryWrite))).map((each) => each.row)).toEqual(bad);
  });

  it('still throws what is not about the data, writing nothing', async () => {
    const rows = [entry(), entry()];
    await database.db.execute(sql`alter table ledger_entries rename to ledger_entries_away`);
    try {
      await expect(insertSettledEntries(database.db, rows.map(ledgerEntryWrite))).rejects.toThrow();
    } finally {
      await database.db.execute(sql`alter table ledger_entries_away rename to ledger_entries`);
    }
    expect(await storedIds(rows)).toEqual([]);
  });

  it('syncs every lease and writes every entry but the ones refused, in one transaction', async () => {
    const window = '2030-01-01T00:00:00.000Z';
    const [goodScope, badScope] = [`budget:good-${newId()}`, `budget:bad-${newId()}`];
    const used = (micros: number) => ({ micros, calls: 1, tokens: 3 });
    const good = [entry(), entry({ customerId: '\udc00' })];
    const bad = entry({ settledMicros: 1e21 });
    const outcome = await syncLeasesInLedger(database.db, 'instance-1', new Date(window), 30_000, [
      { scope: goodScope, window, used: used(40) },
      { scope: badScope, window, used: used(1e21) },
    ], [good[0]!, bad, good[1]!].map(ledgerEntryWrite));

    expect(outcome.refusedEntries.map((each) => each.row)).toEqual([bad]);
    expect(outcome.refusedSyncs.map((each) => each.row.scope)).toEqual([badScope]);
    expect(outcome.holds.map((hold) => hold.scope)).toEqual([goodScope]);
    expect(await storedIds([...good, bad])).toEqual(good.map((row) => row.id).sort());
    const counters = await database.db.select().from(budgetCounters).where(inArray(budgetCounters.scope, [goodScope, badScope]));
    expect(counters.map((row) => ({ scope: row.scope, spent: row.spentMicros, calls: row.calls }))).toEqual([{ scope: goodScope, spent: 40, calls: 1 }]);
  });

  it('syncs in one statement when nothing is refused', async () => {
    const counted = counting(database.db);
    const window = '2030-01-01T00:00:00.000Z';
    const scope = `budget:plain-${newId()}`;
    const outcome = await syncLeasesInLedger(counted.db, 'instance-1', new Date(window), 30_000, [{ scope, window, used: { micros: 5, calls: 1, tokens: 1 } }], [ledgerEntryWrite(entry())]);
    expect(outcome).toMatchObject({ refusedEntries: [], refusedSyncs: [], holds: [{ scope, micros: 0 }] });
    expect(counted.statements()).toBe(1);
    const [counter] = await database.db.select().from(budgetCounters).where(eq(budgetCounters.scope, scope));
    expect(counter?.spentMicros).toBe(5);
  });
});
