import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionLanes, REQUEST_HEAD_START_MS, type Lane } from '../src/connection-lanes.ts';
import { createDatabase, type Database } from '../src/index.ts';

describe('the embedded database’s connection lanes', () => {
  /** Acquires in `lanes` in order at the clock's times; returns the order the turns were given in. */
  async function turns(arrivals: readonly { name: string; lane: Lane; at: number }[]): Promise<string[]> {
    let now = 0;
    const lanes = new ConnectionLanes(() => now);
    const order: string[] = [];
    const holder = await lanes.acquire('background');
    const waiting = arrivals.map(({ name, lane, at }) => {
      now = at;
      return lanes.acquire(lane).then((release) => {
        order.push(name);
        release();
      });
    });
    holder();
    await Promise.all(waiting);
    return order;
  }

  it('gives a request’s statement the turn before background ones queued shortly before it, never before one queued longer ago', async () => {
    expect(
      await turns([
        { name: 'spans', lane: 'background', at: 0 },
        { name: 'ledger', lane: 'background', at: 1 },
        { name: 'claim', lane: 'request', at: 2 },
        { name: 'claim 2', lane: 'request', at: 3 },
      ]),
    ).toEqual(['claim', 'claim 2', 'spans', 'ledger']);
    expect(
      await turns([
        { name: 'spans', lane: 'background', at: 0 },
        { name: 'claim', lane: 'request', at: REQUEST_HEAD_START_MS + 1 },
        { name: 'ledger', lane: 'background', at: REQUEST_HEAD_START_MS + 2 },
      ]),
    ).toEqual(['spans', 'claim', 'ledger']);
  });

  it('gives the connection to one holder at a time, and a second release changes nothing', async () => {
    const lanes = new ConnectionLanes();
    const settled = () => new Promise((resolve) => setImmediate(resolve));
    /** Asks for the connection; `holds` says whether it has been given yet. */
    const waiting = (lane: 'request' | 'background') => {
      const state = { holds: false, release: undefined as unknown as Promise<() => void> };
      state.release = lanes.acquire(lane).then((release) => {
        state.holds = true;
        return release;
      });
      return state;
    };
    const first = await lanes.acquire('request');
    const second = waiting('background');
    await settled();
    expect(second.holds).toBe(false);
    first();
    // Released twice: the second must not free the connection the next holder now has.
    first();
    const releaseSecond = await second.release;
    const third = waiting('request');
    await settled();
    expect(third.holds).toBe(false);
    releaseSecond();
    (await third.release)();
    expect(third.holds).toBe(true);
  });

  describe('on PGlite', () => {
    let database: Database;
    beforeAll(async () => {
      database = await createDatabase({});
    });
    afterAll(async () => {
      await database.close();
    });

    it('runs statements and transactions of both handles on the one session', async () => {
      await database.db.execute(sql`create table lanes_probe (lane text, n int)`);
      await Promise.all(
        Array.from({ length: 20 }, (_, index) => {
          const db = index % 2 === 0 ? database.db : database.backgroundDb;
          return db.transaction(async (tx) => {
            await tx.execute(sql`insert into lanes_probe values (${index % 2 === 0 ? 'request' : 'background'}, ${index})`);
            await tx.execute(sql`insert into lanes_probe values ('again', ${index})`);
          });
        }),
      );
      const counts = await database.backgroundDb.execute<{ lane: string; count: number }>(sql`select lane, count(*)::int as count from lanes_probe group by lane order by lane`);
      expect(counts.rows).toEqual([
        { lane: 'again', count: 20 },
        { lane: 'background', count: 10 },
        { lane: 'request', count: 10 },
      ]);
      // A failed statement gives the connection back: both handles go on working.
      await expect(database.backgroundDb.execute(sql`select 1 / ${0}::int`)).rejects.toThrow();
      expect((await database.db.execute<{ n: number }>(sql`select ${1}::int as n`)).rows).toEqual([{ n: 1 }]);
    });
  });

  it('fails a statement that was taking the connection when the database closed, rather than leaving it and all after it waiting forever', async () => {
    const database = await createDatabase({});
    await database.db.execute(sql`select 1`);
    const statement = database.backgroundDb.execute(sql`select 1`).then(
      () => 'answered',
      () => 'failed',
    );
    // Promise turns only, so pg-pool's next tick (when it hands over its idle client) has not come yet.
    for (let turn = 0; turn < 50; turn++) await Promise.resolve();
    const closed = database.close();
    const after = database.db.execute(sql`select 1`).then(
      () => 'answered',
      () => 'failed',
    );
    const settled = (work: Promise<unknown>) => Promise.race([work, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5000))]);
    expect(await settled(statement)).not.toBe('still waiting');
    expect(await settled(after)).toBe('failed');
    expect(await settled(closed.then(() => 'closed'))).toBe('closed');
  });
});
