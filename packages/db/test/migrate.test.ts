import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, migrate, type Database, type GantryDb } from '../src/index.ts';
import { databaseTargets, type DatabaseTarget } from './test-databases.ts';

/** The migrations in drizzle/ (each applied exactly once). */
const MIGRATIONS = (JSON.parse(readFileSync(new URL('../../../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] }).entries.length;
const VECTOR_MIGRATIONS = (JSON.parse(readFileSync(new URL('../../../drizzle/vector/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] }).entries.length;

async function countRows(db: GantryDb, table: string): Promise<number> {
  const result = await db.execute<{ count: number }>(
    sql`select count(*)::int as count from ${sql.raw(table)}`,
  );
  return result.rows[0]?.count ?? -1;
}

async function tableExists(db: GantryDb, qualifiedName: string): Promise<boolean> {
  const result = await db.execute<{ found: string | null }>(
    sql`select to_regclass(${qualifiedName})::text as found`,
  );
  return result.rows[0]?.found != null;
}

async function isVectorAvailable(db: GantryDb): Promise<boolean> {
  const result = await db.execute(sql`select 1 from pg_available_extensions where name = 'vector'`);
  return result.rows.length > 0;
}

describe.each(databaseTargets)('migrate on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;

  beforeAll(async () => {
    scratch = await target.setUp();
  });
  afterAll(async () => {
    await scratch.tearDown();
  });

  it('migrates concurrently from several connections, then is a no-op when run again', async () => {
    // On Postgres these are two pools on one fresh database, as two gateway instances would be;
    // on PGlite, two concurrent calls on one instance.
    const first = await scratch.open();
    const second = target.kind === 'postgres' ? await scratch.open() : first;

    const results = await Promise.all([migrate(first), migrate(second), migrate(first)]);
    expect(new Set(results.map((result) => result.hasVector)).size).toBe(1);

    await migrate(first);
    await migrate(second);

    expect(await countRows(first.db, 'drizzle.__drizzle_migrations')).toBe(MIGRATIONS);
    for (const table of ['api_keys', 'runs', 'spans']) {
      expect(await tableExists(first.db, `public.${table}`)).toBe(true);
    }
    await first.ping();
  });

  it('applies the vector migrations exactly where pgvector is available', async () => {
    const database = await scratch.open();
    expect(database.hasVector).toBe(false);
    const result = await migrate(database);
    const available = await isVectorAvailable(database.db);

    expect(result.hasVector).toBe(available);
    expect(database.hasVector).toBe(available);
    expect(await tableExists(database.db, 'drizzle.__drizzle_migrations_vector')).toBe(available);
    if (available) {
      expect(await countRows(database.db, 'drizzle.__drizzle_migrations_vector')).toBe(VECTOR_MIGRATIONS);
      const distance = await database.db.execute<{ distance: number }>(
        sql`select ('[1,0]'::vector <=> '[0,1]'::vector)::float8 as distance`,
      );
      expect(distance.rows[0]?.distance).toBe(1);
    }
    if (target.kind === 'pglite') expect(database.hasVector).toBe(true);
  });
});

describe('createDatabase with a PGlite data directory', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gantry-db-test-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // A new folder is initialized in a child process (initdb), which a loaded machine may take a while over.
  it('creates missing parent folders and keeps data and vector support across reopen', { timeout: 90_000 }, async () => {
    const dataDir = path.join(root, 'nested', 'deeper', 'pgdata');
    let database: Database = await createDatabase({ dataDir });
    expect(database.kind).toBe('pglite');
    await migrate(database);
    await database.db.execute(
      sql`insert into api_keys (id, name, prefix, secret_hash) values ('k1', 'kept', 'gk_123456789', 'h1')`,
    );
    await database.close();
    await database.close();

    database = await createDatabase({ dataDir });
    try {
      const result = await migrate(database);
      expect(result.hasVector).toBe(true);
      expect(await countRows(database.db, 'api_keys')).toBe(1);
      expect(await countRows(database.db, 'drizzle.__drizzle_migrations')).toBe(MIGRATIONS);
    } finally {
      await database.close();
    }
  });
});

describe('migrate', () => {
  it('rejects an object that createDatabase did not make', async () => {
    const impostor = { kind: 'pglite' } as unknown as Database;
    await expect(migrate(impostor)).rejects.toThrow(/createDatabase/);
  });
});
