import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { schema, type GantryDb } from './gantry-db.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { registerDatabaseInternals, type MigrationRunner } from './database-internals.ts';

export interface CreateDatabaseOptions {
  /** A `postgres://` URL. When set, Gantry talks to that server through a `pg` Pool. */
  url?: string;
  /**
   * PGlite data directory, created with its parents when missing. Ignored when `url` is set.
   * Undefined (and no `url`) = an in-memory PGlite, gone on close: for tests. Held with a lock file
   * (`gantry.lock`) while open: a second process opening it is refused with `DataDirInUseError`.
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
  return poolDatabase(pool, 'postgres', () => pool.end());
}

/**
 * Embedded PGlite, run in a worker thread that serves the Postgres wire protocol on a unix
 * socket. The gateway talks to it through the same `pg` pool as to a real server: one driver,
 * one code path, and PGlite's WASM work never blocks the thread that serves requests.
 */
async function createPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  // PGlite does not lock its folder: a second process on it would start and silently lose writes.
  const unlock = dataDir === undefined ? () => {} : await lockDataDir(dataDir);
  const socketDir = await mkdtemp(join(tmpdir(), 'gantry-pglite-'));
  const port = 5432;
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), {
    workerData: { dataDir, socketPath: join(socketDir, `.s.PGSQL.${port}`) },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (message: { type: string; message?: string }) => {
        if (message.type === 'ready') resolve();
        else reject(new Error(`embedded database failed to start${dataDir ? ` in ${dataDir}` : ''}: ${message.message}`));
      });
    });
  } catch (error) {
    await worker.terminate();
    await rm(socketDir, { recursive: true, force: true });
    unlock();
    throw error;
  }
  // PGlite is one Postgres session shared by every socket connection: a single pooled connection
  // keeps transactions and session state from interleaving.
  const pool = new pg.Pool({ host: socketDir, port, user: 'postgres', database: 'postgres', max: 1 });
  return poolDatabase(pool, 'pglite', async () => {
    await pool.end();
    const closed = new Promise<void>((resolve) => worker.once('message', () => resolve()));
    worker.postMessage('close');
    await closed;
    await worker.terminate();
    await rm(socketDir, { recursive: true, force: true });
    unlock();
  });
}

async function poolDatabase(pool: pg.Pool, kind: Database['kind'], close: () => Promise<void>): Promise<Database> {
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

  return assembleDatabase({ db, kind, runMigrations, close });
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
