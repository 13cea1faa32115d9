import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { schema, type GantryDb } from './gantry-db.ts';
import { registerDatabaseInternals, type MigrationRunner } from './database-internals.ts';

export interface CreateDatabaseOptions {
  /** A `postgres://` URL. When set, Gantry talks to that server through a `pg` Pool. */
  url?: string;
  /**
   * PGlite data directory, created with its parents when missing. Ignored when `url` is set.
   * Undefined (and no `url`) = an in-memory PGlite, gone on close: for tests.
   */
  dataDir?: string;
}

/** An open database: a drizzle handle plus what the rest of Gantry needs to know about it. */
export interface Database {
  /** The drizzle handle; the same type whichever driver is underneath. */
  readonly db: GantryDb;
  readonly kind: 'pglite' | 'postgres';
  /**
   * Whether the pgvector extension is installed in this database. Known once `migrate()` has run
   * (false before).
   */
  readonly hasVector: boolean;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  /** Closes the pool or the PGlite instance. Safe to call more than once. */
  close(): Promise<void>;
}

/** Opens Postgres (with `url`) or PGlite (otherwise). Does not migrate: call `migrate()`. */
export async function createDatabase(options: CreateDatabaseOptions = {}): Promise<Database> {
  return options.url === undefined
    ? createPgliteDatabase(options.dataDir)
    : createPostgresDatabase(options.url);
}

// Arbitrary but fixed: 'gantry' in ASCII. Every Gantry instance migrating one server contends on it.
const migrationLockKey = 0x67616e747279;

async function createPostgresDatabase(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url });
  // An idle client losing its connection emits 'error' on the pool, which would otherwise crash
  // the process; the next query that needs a connection reports the failure instead.
  pool.on('error', () => {});
  const db: GantryDb = drizzleNodePostgres({ client: pool, schema });

  // Migrations run on one dedicated connection holding a session-level advisory lock, so that
  // several gateway instances starting together against one server migrate one after another.
  const runMigrations: MigrationRunner = async (work) => {
    const client = await pool.connect();
    let result;
    try {
      await client.query('select pg_advisory_lock($1)', [migrationLockKey]);
      const migrationDb = drizzleNodePostgres({ client, schema });
      result = await work({
        db: migrationDb,
        applyMigrations: (config) => migrateNodePostgres(migrationDb, config),
      });
      await client.query('select pg_advisory_unlock($1)', [migrationLockKey]);
    } catch (error) {
      // Destroy the connection rather than return it to the pool: that also drops the lock.
      client.release(true);
      throw error;
    }
    client.release();
    return result;
  };

  return assembleDatabase({
    db,
    kind: 'postgres',
    runMigrations,
    close: () => pool.end(),
  });
}

async function createPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  // A data dir that ever used vector must always be opened with the extension: always load it.
  const client = await PGlite.create({
    ...(dataDir === undefined ? {} : { dataDir }),
    extensions: { vector },
  });
  const pgliteDb = drizzlePglite({ client, schema });
  // PGlite is a single session owned by this process: the in-process queue in migrate() is all the
  // serialization it needs (an advisory lock would be re-entrant within the one session anyway).
  const runMigrations: MigrationRunner = (work) =>
    work({ db: pgliteDb, applyMigrations: (config) => migratePglite(pgliteDb, config) });
  const db: GantryDb = pgliteDb;

  return assembleDatabase({
    db,
    kind: 'pglite',
    runMigrations,
    close: () => client.close(),
  });
}

function assembleDatabase(parts: {
  db: GantryDb;
  kind: Database['kind'];
  runMigrations: MigrationRunner;
  close: () => Promise<void>;
}): Database {
  let hasVector = false;
  let closing: Promise<void> | undefined;
  const database: Database = {
    db: parts.db,
    kind: parts.kind,
    get hasVector() {
      return hasVector;
    },
    async ping() {
      await parts.db.execute(sql`select 1`);
    },
    close() {
      closing ??= parts.close();
      return closing;
    },
  };
  registerDatabaseInternals(database, {
    runMigrations: parts.runMigrations,
    setHasVector: (value) => {
      hasVector = value;
    },
  });
  return database;
}
