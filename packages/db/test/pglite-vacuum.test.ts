import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/index.ts';
import { FREEZE_TEMPLATES_MARK, startPgliteVacuum } from '../src/pglite-vacuum.ts';

type TableState = {
  pages: number;
  frozen: number;
  age: number;
  bytes: number;
};

const tableState = async (database: Database, table: string): Promise<TableState> => {
  const { rows } = await database.db.execute<TableState>(sql`
    select relpages as pages, relallfrozen as frozen, age(relfrozenxid)::int as age, pg_relation_size(oid)::int as bytes
    from pg_class where oid = ${table}::regclass`);
  return rows[0]!;
};

/** Waits until `done` holds of what `read` returns, for at most 10 s; returns the last reading. */
async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let waited = 0; !done(value) && waited < 10_000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

/** Runs `count` transactions, each taking a transaction ID. */
async function burnTransactionIds(database: Database, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await database.db.execute(sql`select txid_current()`);
}

// Single-user Postgres (PGlite) has no autovacuum: without the gateway's vacuums no table was ever
// vacuumed, dead row versions stayed, and nothing was frozen before the transaction-ID horizon.
describe('the embedded database’s vacuums', () => {
  const growBytes = 1024 * 1024;
  const xidAge = 400;
  let database: Database;
  beforeAll(async () => {
    database = await createDatabase({ pgliteVacuum: { growBytes, xidAge, checkMs: 50 } });
  });
  afterAll(async () => {
    await database.close();
  });

  it('vacuums and freezes a table once it has grown past its bound', async () => {
    await database.db.execute(sql`create table vacuum_grown (text text)`);
    for (let batch = 0; batch < 8; batch++) await database.db.execute(sql`insert into vacuum_grown select md5(i::text) || repeat('x', 1000) from generate_series(1, 1000) i`);
    // About 9 MB written, in 8 transactions: only its growth can make it due.
    const state = await waitFor(() => tableState(database, 'vacuum_grown'), (table) => table.pages * 8192 >= table.bytes - growBytes && table.frozen > 0);
    expect(state.bytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(state.pages * 8192).toBeGreaterThanOrEqual(state.bytes - growBytes);
    // Frozen as it is vacuumed: no later vacuum has to scan these pages again.
    expect(state.frozen).toBeGreaterThan(state.pages / 2);
  });

  it('vacuums a table updated in place, and reuses the space its old row versions took', async () => {
    await database.db.execute(sql`create table vacuum_updated (id int primary key, n int, pad text)`);
    await database.db.execute(sql`insert into vacuum_updated select i, 0, repeat('y', 200) from generate_series(1, 2000) i`);
    const start = await tableState(database, 'vacuum_updated');
    // Each round rewrites every row; a vacuum is due about every fourth. 40 rounds leave 80,000
    // dead versions unless vacuumed.
    for (let round = 0; round < 40; round++) {
      await database.db.execute(sql`update vacuum_updated set n = n + 1`);
      await burnTransactionIds(database, 100);
    }
    const state = await waitFor(() => tableState(database, 'vacuum_updated'), (table) => table.age < xidAge);
    expect(state.age).toBeLessThan(xidAge);
    // Unvacuumed, the table grows with every round, to about 40 times its start.
    expect(state.bytes).toBeLessThan(start.bytes * 15);
  });

  it('keeps the catalogs and the database itself away from the transaction-ID horizon', async () => {
    await burnTransactionIds(database, xidAge * 2);
    const read = async () => {
      const { rows } = await database.db.execute<{ catalog: number; database: number }>(sql`
        select (select max(age(relfrozenxid))::int from pg_class where relkind = 'r' and relnamespace = 'pg_catalog'::regnamespace) as catalog,
          (select age(datfrozenxid)::int from pg_database where datname = current_database()) as database`);
      return rows[0]!;
    };
    const ages = await waitFor(read, (state) => state.database < xidAge * 1.5);
    expect(ages.catalog).toBeLessThan(xidAge * 1.5);
    expect(ages.database).toBeLessThan(xidAge * 1.5);
  });
});

describe('a vacuum pass', () => {
  it('is never under way twice: the one asked for at start and the timer’s share it', async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    const slowList = async (text: string) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, text.includes('pg_class') ? 100 : 1));
      inFlight--;
      return { rows: text.includes('pg_class') ? [{ name: 'due', age: 1e9, unvacuumed: 0 }] : [] };
    };
    const vacuum = startPgliteVacuum(slowList, { checkMs: 10 });
    await vacuum.pass();
    await vacuum.stop();
    expect(mostInFlight).toBe(1);
  });

  it('skips a table dropped since it was listed, and fails on any other error', async () => {
    const statements: string[] = [];
    const failWith = (code: string) => async (text: string) => {
      statements.push(text);
      if (text.startsWith('vacuum (freeze')) throw Object.assign(new Error('refused'), { code });
      return { rows: text.includes('pg_class') ? [{ name: 'gone', age: 1e9, unvacuumed: 0 }, { name: 'kept', age: 1e9, unvacuumed: 0 }] : [] };
    };
    const dropped = startPgliteVacuum(failWith('42P01'), { checkMs: 60_000 });
    await dropped.pass();
    await dropped.stop();
    expect(statements.filter((text) => text.startsWith('vacuum'))).toEqual(['vacuum (freeze, skip_database_stats) gone', 'vacuum (freeze, skip_database_stats) kept', 'vacuum (only_database_stats)']);
    const full = startPgliteVacuum(failWith('53100'), { checkMs: 60_000 });
    await expect(full.pass()).rejects.toThrow('refused');
    await full.stop();
  });
});

describe('the embedded database’s template databases', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gantry-vacuum-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const templateAge = async (database: Database) => {
    const { rows } = await database.db.execute<{ age: number }>(sql`select max(age(datfrozenxid))::int as age from pg_database where datname like 'template%'`);
    return rows[0]!.age;
  };

  it('are frozen at the next start once they are old', { timeout: 60_000 }, async () => {
    const templateFreezeAge = 300;
    const first = await createDatabase({ dataDir, pgliteVacuum: { templateFreezeAge, checkMs: 50 } });
    await burnTransactionIds(first, templateFreezeAge);
    await waitFor(async () => existsSync(join(dataDir, FREEZE_TEMPLATES_MARK)), (marked) => marked);
    expect(existsSync(join(dataDir, FREEZE_TEMPLATES_MARK))).toBe(true);
    expect(await templateAge(first)).toBeGreaterThanOrEqual(templateFreezeAge);
    await first.close();

    const second = await createDatabase({ dataDir, pgliteVacuum: { templateFreezeAge, checkMs: 50 } });
    try {
      expect(await templateAge(second)).toBeLessThan(50);
      expect(existsSync(join(dataDir, FREEZE_TEMPLATES_MARK))).toBe(false);
    } finally {
      await second.close();
    }
  });
});
