import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, migrate, type Database } from '../src/index.ts';

const DATABASE_URL = process.env['DATABASE_URL'];
/** The advisory lock migrations hold (create-database.ts). */
const MIGRATION_LOCK_KEY = 0x67616e747279;

/** Runs `statement` on a connection of its own, outside any pool under test. */
async function onOwnConnection<T extends pg.QueryResultRow>(statement: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(statement)).rows;
  } finally {
    await client.end();
  }
}

/** How Gantry bounds its waits on Postgres (issue #17: a hanging database never hangs the gateway). */
describe.skipIf(!DATABASE_URL)('Postgres timeouts', () => {
  let database: Database;
  const table = `timeout_probe_${randomUUID().replaceAll('-', '')}`;

  beforeAll(async () => {
    database = await createDatabase({ url: DATABASE_URL!, timeouts: { connectMs: 2_000, queryMs: 300 } });
    await database.db.execute(sql.raw(`create table ${table} (id text)`));
  });
  afterAll(async () => {
    await database?.db.execute(sql.raw(`drop table if exists ${table}`)).catch(() => {});
    await database?.close();
  });

  it('fails a statement not answered within queryMs, and the next statement runs', async () => {
    const started = performance.now();
    await expect(database.db.execute(sql`select pg_sleep(3)`)).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(1_500);
    const result = await database.db.execute<{ answer: number }>(sql`select 1 as answer`);
    expect(result.rows).toEqual([{ answer: 1 }]);
  });

  it('closes a connection whose transaction timed out rather than run the next caller inside that transaction', async () => {
    // The statement times out, then so does its rollback (queued behind it): the connection goes
    // back to the pool with the statement still running and its transaction never rolled back.
    await expect(database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_sleep(1)`);
    })).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await database.db.execute(sql.raw(`insert into ${table} values ('committed')`));
    // Seen from elsewhere: committed, not held in a transaction that no one will ever end.
    expect(await onOwnConnection(`select id from ${table}`)).toEqual([{ id: 'committed' }]);
  });

  it('waits for another instance’s migrations longer than queryMs: migrations are not timed', async () => {
    const holder = new pg.Client({ connectionString: DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const migrating = migrate(database);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await holder.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await expect(migrating).resolves.toMatchObject({ hasVector: expect.any(Boolean) });
    } finally {
      await holder.end();
    }
  });

  it('answers a ping within its deadline whatever the statement timeout, with words that name no query', async () => {
    await expect(database.ping({ timeoutMs: 1_000 })).resolves.toBeUndefined();
    const unreachable = await createDatabase({ url: 'postgres://postgres@127.0.0.1:1/postgres', timeouts: { connectMs: 500, queryMs: 500 } });
    try {
      const error = await unreachable.ping({ timeoutMs: 2_000 }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: 'DatabaseUnavailableError', message: 'the database could not be reached' });
    } finally {
      await unreachable.close();
    }
  });
});
