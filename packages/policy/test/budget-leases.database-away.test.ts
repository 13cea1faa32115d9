import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetCounters, ledgerEntries, migrate, type Database, type GantryDb, type LedgerCheck } from '@gantry/db';
import { eq, inArray } from 'drizzle-orm';
import { databaseTargets, type DatabaseTarget } from '../../db/test/test-databases.ts';
import { BudgetLeases, type LeaseDraw } from '../src/budget-leases.ts';

type Entry = typeof ledgerEntries.$inferInsert;

/**
 * `db`, except that while `down` every statement fails as on a database that went away: at once
 * (refused), or after `failAfterMs` (a hung server and the driver's query timeout).
 */
function switchable(db: GantryDb, failAfterMs = 0): { db: GantryDb; setDown(down: boolean): void } {
  let down = false;
  const fail = () => new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(failAfterMs === 0 ? 'connect ECONNREFUSED' : 'Query read timeout')), failAfterMs));
  const proxy = new Proxy(db, {
    get(target, property, receiver) {
      if (down && (property === 'execute' || property === 'transaction')) return fail;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return { db: proxy, setDown: (value) => (down = value) };
}

const entry = (id: string): Entry => ({ id, state: 'settled', model: 'm', reservedMicros: 100, reservedTokens: 5, createdAt: new Date() });

/** Budget leases while the database is away (issue #17): what they keep, and what they still allow. */
describe.each(databaseTargets)('budget leases while the database is away, on $kind', (target: DatabaseTarget) => {
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

  const checksOf = (scope: string): LedgerCheck[] => [{ scope, window: new Date(0).toISOString(), limitMicros: 1_000_000 }];

  it('keeps at most maxBufferedEntries while syncs fail, drops the oldest and counts them, and still counts their use', async () => {
    const scope = `budget:bound-${Date.now()}`;
    const checks = checksOf(scope);
    const connection = switchable(database.db);
    const errors: string[] = [];
    const leases = new BudgetLeases(connection.db, () => new Date(), { aheadCalls: 64, syncMs: 20, idleMs: 60_000, maxBufferedEntries: 5, onError: (error) => errors.push((error as Error).message) });
    const call = async (id: string) => {
      const draw = (await leases.draw(checks, 100, 5, entry(id))) as LeaseDraw;
      expect(draw.finish).toBeTypeOf('function');
      draw.finish('settled', 80, 4, new Date());
    };
    try {
      await call(`${scope}-0`);
      await expect.poll(async () => (await database.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, `${scope}-0`))).length).toBe(1);

      connection.setDown(true);
      // Drawn on the lease in memory: the database is not asked.
      for (let index = 1; index <= 5; index++) await call(`${scope}-${index}`);
      // Syncs take the entries, fail, and put them back, still bounded.
      // Polled: while a failing sync is in flight its entries are out of the buffer.
      await expect.poll(() => leases.getStats()).toMatchObject({ bufferedEntries: 5, droppedEntries: 0 });
      for (let index = 6; index <= 10; index++) await call(`${scope}-${index}`);
      await expect.poll(() => leases.getStats()).toMatchObject({ bufferedEntries: 5, droppedEntries: 5 });

      connection.setDown(false);
      await leases.drain();
      expect(leases.getStats()).toMatchObject({ bufferedEntries: 0, droppedEntries: 5 });
      const ids = Array.from({ length: 11 }, (_, index) => `${scope}-${index}`);
      const written = await database.db.select({ id: ledgerEntries.id }).from(ledgerEntries).where(inArray(ledgerEntries.id, ids));
      // The newest are kept: entries 1 to 5 were dropped for 6 to 10.
      expect(written.map((row) => row.id).sort()).toEqual([0, 6, 7, 8, 9, 10].map((index) => `${scope}-${index}`).sort());
      // The limit still sees every call: use is counted per lease, apart from the entries.
      const [counter] = await database.db.select().from(budgetCounters).where(eq(budgetCounters.scope, scope));
      expect(counter).toMatchObject({ spentMicros: 11 * 80, calls: 11, reservedMicros: 0 });
      expect(errors.some((message) => message.includes('dropped the 5 oldest ledger entries'))).toBe(true);
    } finally {
      // Up again first: a close that fails must not hide what failed in the test.
      connection.setDown(false);
      await leases.close();
    }
  });

  it('keeps drawing on a lease gone idle while the database is away, rather than give it back', async () => {
    const scope = `budget:idle-${Date.now()}`;
    const checks = checksOf(scope);
    const connection = switchable(database.db);
    const leases = new BudgetLeases(connection.db, () => new Date(), { aheadCalls: 64, syncMs: 20, idleMs: 100 });
    const call = async (id: string) => {
      const draw = await leases.draw(checks, 100, 5, entry(id));
      if (!('finish' in draw)) throw new Error(`refused: ${JSON.stringify(draw)}`);
      draw.finish('settled', 80, 4, new Date());
    };
    try {
      await call(`${scope}-0`);
      connection.setDown(true);
      await call(`${scope}-1`);
      // Idle for several idle periods: giving the hold back would need the database, and a failed
      // attempt would leave the lease undrawable.
      await new Promise((resolve) => setTimeout(resolve, 400));
      await call(`${scope}-2`);
      connection.setDown(false);
      await leases.drain();
      const [counter] = await database.db.select().from(budgetCounters).where(eq(budgetCounters.scope, scope));
      expect(counter).toMatchObject({ spentMicros: 3 * 80, calls: 3, reservedMicros: 0 });
    } finally {
      // Up again first: a close that fails must not hide what failed in the test.
      connection.setDown(false);
      await leases.close();
    }
  });

  it('refuses draws queued behind a round trip that timed out together, not one timeout after another', async () => {
    const connection = switchable(database.db, 300);
    // Nothing held ahead: every call needs a round trip, queued behind the others.
    const leases = new BudgetLeases(connection.db, () => new Date(), { aheadCalls: 0, syncMs: 60_000 });
    try {
      connection.setDown(true);
      const started = performance.now();
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, index) => leases.draw(checksOf(`budget:queued-${Date.now()}`), 100, 5, entry(`queued-${index}`))));
      expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
      // The first round trip times out; the nine behind it are refused with it.
      expect(performance.now() - started).toBeLessThan(3 * 300);
      for (const outcome of outcomes) expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/^Error: the database did not answer/);
    } finally {
      connection.setDown(false);
      await leases.close();
    }
  });
});
