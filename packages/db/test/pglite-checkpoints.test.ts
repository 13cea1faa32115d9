import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/index.ts';

interface CheckpointState {
  redo: string;
  since: number;
  segments: number;
}

// Single-user Postgres (PGlite) checkpoints only when it shuts down: without the gateway's own
// checkpoints, every byte of WAL since start stayed on disk and was replayed after a crash.
describe('the embedded database’s checkpoints', () => {
  const walBytes = 4 * 1024 * 1024;
  let database: Database;
  beforeAll(async () => {
    database = await createDatabase({ pgliteCheckpoints: { walBytes, checkMs: 50 } });
  });
  afterAll(async () => {
    await database.close();
  });

  const state = async (): Promise<CheckpointState> => {
    const { rows } = await database.db.execute<{ redo: string; since: number; segments: number }>(sql`
      select redo_lsn::text as redo, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::float8 as since,
        (select count(*)::int from pg_ls_waldir() where name ~ '^[0-9A-F]{24}$') as segments
      from pg_control_checkpoint()`);
    return rows[0]!;
  };

  it('checkpoints once the WAL since the last checkpoint passes its bound, and keeps few segments', async () => {
    const before = await state();
    await database.db.execute(sql`create table checkpoint_probe (text text)`);
    // About 240 MB of WAL, written in statements of about 1.5 MB: without checkpoints, 17 segments.
    for (let batch = 0; batch < 160; batch++) await database.db.execute(sql`insert into checkpoint_probe select md5(i::text) || repeat('x', 1000) from generate_series(1, 1500) i`);
    let after = await state();
    for (let waited = 0; after.since >= walBytes && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await state();
    }
    expect(after.redo).not.toBe(before.redo);
    expect(after.since).toBeLessThan(walBytes);
    // Each checkpoint recycles or removes the segments before it (3 are left here).
    expect(after.segments).toBeLessThanOrEqual(10);
  });
});
