import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { schema, type GantryDb } from './gantry-db.ts';
import { ConnectionLanes, LanePool, type Lane } from './connection-lanes.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { preparingClientFor } from './pglite-prepared-statements.ts';
import { startPgliteCheckpoints, type PgliteCheckpointOptions } from './pglite-checkpoints.ts';
import { FREEZE_TEMPLATES_MARK, reportVacuumFailure, startPgliteVacuum, type PgliteVacuumOptions } from './pglite-vacuum.ts';
import { registerDatabaseInternals, type MigrationRunner } from './database-internals.ts';
import { createPostgresPool, DEFAULT_DATABASE_TIMEOUTS, postgresConnectionConfig, type DatabaseTimeouts } from './postgres-pool.ts';

const execFileAsync = promisify(execFile);

export interface CreateDatabaseOptions {
  /** A `postgres://` URL. When set, Gantry talks to that server through a `pg` Pool. */
  url?: string;
  /**
   * PGlite data directory, created with its parents when missing. Ignored when `url` is set.
   * Undefined (and no `url`) = an in-memory PGlite, gone on close: for tests. Held with a lock file
   * (`gantry.lock`) while open: a second process opening it is refused with `DataDirInUseError`.
   */
  dataDir?: string;
  /**
   * PGlite only: Postgres's `shared_buffers`, in MiB (default {@link DEFAULT_PGLITE_SHARED_BUFFERS_MB}).
   * PGlite's own default, 128 MiB, is most of its resident memory; the gateway's writes touch few
   * pages (the newest of each table and index), and pages not held are read back from the OS's
   * page cache. Raise it for a large semantic cache, whose index lookups read many pages.
   */
  pgliteSharedBuffersMb?: number;
  /**
   * PGlite only: when the gateway checkpoints the embedded database, which never does on its own
   * (pglite-checkpoints.ts). The defaults bound its WAL to about 64 MiB past the last checkpoint.
   */
  pgliteCheckpoints?: PgliteCheckpointOptions;
  /**
   * PGlite only: when the gateway vacuums the embedded database, which has no autovacuum
   * (pglite-vacuum.ts). The defaults vacuum a table every 8 MiB it grows and every 250,000
   * transactions, so no row comes near the transaction-ID horizon.
   */
  pgliteVacuum?: PgliteVacuumOptions;
  /**
   * Postgres only (PGlite runs in-process and cannot hang this way): how long to wait for a
   * connection and for each statement's answer. Missing fields take {@link DEFAULT_DATABASE_TIMEOUTS}.
   */
  timeouts?: Partial<DatabaseTimeouts>;
}

/** See {@link CreateDatabaseOptions.pgliteSharedBuffersMb}. */
export const DEFAULT_PGLITE_SHARED_BUFFERS_MB = 16;

/**
 * Why {@link Database.ping} failed, in words safe to show anyone (no query, no parameters, no
 * rows); the driver's error, if any, is its `cause`.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/** An open database: a drizzle handle plus what the rest of Gantry needs to know about it. */
export interface Database {
  /** The drizzle handle; the same type whichever driver is underneath. */
  readonly db: GantryDb;
  /**
   * The same database, for statements nobody waits on: batched writes (spans, the ledger), syncs
   * and sweeps. On PGlite's one connection a statement of `db` goes before those of this handle
   * queued shortly before it (see connection-lanes.ts); on Postgres it is `db`.
   */
  readonly backgroundDb: GantryDb;
  readonly kind: 'pglite' | 'postgres';
  /**
   * Whether the pgvector extension is installed in this database. Known once `migrate()` has run
   * (false before).
   */
  readonly hasVector: boolean;
  /**
   * Resolves when the database answers a trivial query; rejects with a
   * {@link DatabaseUnavailableError} otherwise, or once `timeoutMs` have passed without an answer.
   * Concurrent pings share one query, so probes of a hung server do not pile up connections.
   */
  ping(options?: { timeoutMs?: number }): Promise<void>;
  /** Closes the pool or the PGlite instance. Safe to call more than once. */
  close(): Promise<void>;
}

/** Opens Postgres (with `url`) or PGlite (otherwise). Does not migrate: call `migrate()`. */
export async function createDatabase(options: CreateDatabaseOptions = {}): Promise<Database> {
  return options.url === undefined
    ? createPgliteDatabase(options.dataDir, options.pgliteSharedBuffersMb ?? DEFAULT_PGLITE_SHARED_BUFFERS_MB, options)
    : createPostgresDatabase(options.url, {
        connectMs: options.timeouts?.connectMs ?? DEFAULT_DATABASE_TIMEOUTS.connectMs,
        queryMs: options.timeouts?.queryMs ?? DEFAULT_DATABASE_TIMEOUTS.queryMs,
      });
}

// Arbitrary but fixed: 'gantry' in ASCII. Every Gantry instance migrating one server contends on it.
const migrationLockKey = 0x67616e747279;

async function createPostgresDatabase(url: string, timeouts: DatabaseTimeouts): Promise<Database> {
  const pool = createPostgresPool(url, timeouts);
  // Migrations (and the wait for another instance's) may take longer than any statement should:
  // they get a connection of their own, without the query timeout.
  const connectForMigrations = async (): Promise<MigrationConnection> => {
    const client = new pg.Client(postgresConnectionConfig(url, timeouts));
    client.on('error', () => {});
    await client.connect();
    return { client, done: () => client.end().catch(() => {}) };
  };
  return poolDatabase(pool, 'postgres', connectForMigrations, undefined, () => pool.end());
}

/**
 * Embedded PGlite, run in a worker thread that serves the Postgres wire protocol on a unix
 * socket. The gateway talks to it through the same `pg` pool as to a real server: one driver,
 * one code path, and PGlite's WASM work never blocks the thread that serves requests.
 */
async function createPgliteDatabase(
  dataDir: string | undefined,
  sharedBuffersMb: number,
  maintenance: Pick<CreateDatabaseOptions, 'pgliteCheckpoints' | 'pgliteVacuum'>,
): Promise<Database> {
  // PGlite does not lock its folder: a second process on it would start and silently lose writes.
  const unlock = dataDir === undefined ? () => {} : await lockDataDir(dataDir);
  const socketDir = await mkdtemp(join(tmpdir(), 'gantry-pglite-'));
  const port = 5432;
  let worker: Worker;
  try {
    if (dataDir !== undefined && !existsSync(join(dataDir, 'PG_VERSION'))) await runInitProcess(dataDir, 'initialize');
    else if (dataDir !== undefined && existsSync(join(dataDir, FREEZE_TEMPLATES_MARK))) {
      await runInitProcess(dataDir, 'freeze its template databases');
      await rm(join(dataDir, FREEZE_TEMPLATES_MARK), { force: true });
    }
    worker = await startPgliteWorker({ dataDir, socketPath: join(socketDir, `.s.PGSQL.${port}`), sharedBuffersMb });
  } catch (error) {
    await rm(socketDir, { recursive: true, force: true });
    unlock();
    throw error;
  }
  // PGlite is one Postgres session shared by every socket connection: a single pooled connection
  // keeps transactions and session state from interleaving. A request's statements get a head
  // start over background ones at it (connection-lanes.ts).
  // Its statements are prepared from their second sight (pglite-prepared-statements.ts).
  const pool = new pg.Pool({ host: socketDir, port, user: 'postgres', database: 'postgres', max: 1, Client: preparingClientFor() });
  const lanes = new ConnectionLanes();
  const lanePools = { request: new LanePool(pool, lanes, 'request'), background: new LanePool(pool, lanes, 'background') };
  const connectForMigrations = async (): Promise<MigrationConnection> => {
    const client = await lanePools.request.connect();
    return { client, done: (failed) => client.release(failed) };
  };
  // Single-user Postgres never checkpoints nor vacuums on its own (pglite-checkpoints.ts, pglite-vacuum.ts).
  const background = lanePools.background as unknown as { query(text: string): Promise<{ rows: Record<string, unknown>[] }> };
  const runInBackground = (text: string) => background.query(text);
  const stopCheckpoints = startPgliteCheckpoints(runInBackground, maintenance.pgliteCheckpoints);
  const vacuum = startPgliteVacuum(runInBackground, {
    ...maintenance.pgliteVacuum,
    ...(dataDir === undefined ? {} : { markTemplates: () => writeFile(join(dataDir, FREEZE_TEMPLATES_MARK), '') }),
  });
  // Before the gateway serves: a folder from before these vacuums (or long stopped) gets its
  // first, long one here rather than in the middle of its traffic. A new folder has nothing due.
  await vacuum.pass().catch(reportVacuumFailure);
  return poolDatabase(pool, 'pglite', connectForMigrations, lanePools, async () => {
    // No check starts from here; one under way fails once the pool has ended, or finishes first.
    const checkpointsStopped = stopCheckpoints();
    const vacuumStopped = vacuum.stop();
    // pg-pool hands its idle client to a connect() on the next tick; an end() before that tick
    // leaves the connect() waiting forever (an ending pool serves no queue), and with it the
    // connection's turn and every statement after it. Ended in a turn of its own, no statement is
    // between the two; the ones waiting then fail at once.
    const release = await lanes.acquire('request');
    try {
      await pool.end();
    } finally {
      release();
    }
    const closed = new Promise<void>((resolve) => worker.once('message', () => resolve()));
    worker.postMessage('close');
    await closed;
    await worker.terminate();
    await checkpointsStopped;
    await vacuumStopped;
    await rm(socketDir, { recursive: true, force: true });
    unlock();
  });
}

/**
 * Initializes a new folder (initdb), or freezes its template databases, in a child process
 * (pglite-init.mjs): PGlite's WASM memory, about 500 MB for initdb, is given back to the system
 * only when its process ends — in the gateway's own worker, most of it stayed resident for the
 * gateway's life.
 */
async function runInitProcess(dataDir: string, what: 'initialize' | 'freeze its template databases'): Promise<void> {
  const script = fileURLToPath(new URL('./pglite-init.mjs', import.meta.url));
  try {
    await execFileAsync(process.execPath, [script, dataDir, ...(what === 'initialize' ? [] : ['--freeze-templates'])], { timeout: 120_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`embedded database failed to ${what} in ${dataDir}: ${stderr || (error instanceof Error ? error.message : String(error))}`, { cause: error });
  }
}

/** Starts the PGlite worker and waits until it serves; ended if it fails. */
async function startPgliteWorker(workerData: { dataDir: string | undefined; socketPath: string; sharedBuffersMb: number }): Promise<Worker> {
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), { workerData });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (message: { type: string; message?: string }) => {
        if (message.type === 'ready') resolve();
        else reject(new Error(`embedded database failed to start${workerData.dataDir ? ` in ${workerData.dataDir}` : ''}: ${message.message}`));
      });
    });
    return worker;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
}

/** A connection for migrations; `done(failed)` gives it back, destroying it when `failed` (that drops the lock). */
interface MigrationConnection {
  client: pg.Client | pg.PoolClient;
  done(failed: boolean): void | Promise<void>;
}

/** `lanePools`: the pool's one connection shared by lanes (PGlite); undefined, every statement straight to the pool. */
async function poolDatabase(
  pool: pg.Pool,
  kind: Database['kind'],
  connectForMigrations: () => Promise<MigrationConnection>,
  lanePools: Record<Lane, LanePool> | undefined,
  close: () => Promise<void>,
): Promise<Database> {
  // An idle client losing its connection emits 'error' on the pool, which would otherwise crash
  // the process; the next query that needs a connection reports the failure instead.
  pool.on('error', () => {});
  // A LanePool is used as drizzle uses a pg.Pool (query, and connect for a transaction).
  const drizzleOn = (client: pg.Pool | LanePool): GantryDb => drizzleNodePostgres({ client: client as pg.Pool, schema });
  const db = drizzleOn(lanePools?.request ?? pool);
  const backgroundDb = lanePools === undefined ? db : drizzleOn(lanePools.background);

  // Migrations run on one dedicated connection holding a session-level advisory lock, so that
  // several gateway instances starting together against one server migrate one after another.
  const runMigrations: MigrationRunner = async (work) => {
    const { client, done } = await connectForMigrations();
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
      await done(true);
      throw error;
    }
    await done(false);
    return result;
  };

  return assembleDatabase({ db, backgroundDb, kind, runMigrations, close });
}

function assembleDatabase(parts: {
  db: GantryDb;
  backgroundDb: GantryDb;
  kind: Database['kind'];
  runMigrations: MigrationRunner;
  close: () => Promise<void>;
}): Database {
  let hasVector = false;
  let closing: Promise<void> | undefined;
  let pinging: Promise<void> | undefined;
  const pingOnce = () =>
    (pinging ??= parts.db
      .execute(sql`select 1`)
      .then(
        () => undefined,
        (error: unknown) => {
          // drizzle's error repeats the query; the driver's own is kept as the cause.
          throw new DatabaseUnavailableError('the database could not be reached', { cause: (error as { cause?: unknown }).cause ?? error });
        },
      )
      .finally(() => {
        pinging = undefined;
      }));
  const database: Database = {
    db: parts.db,
    backgroundDb: parts.backgroundDb,
    kind: parts.kind,
    get hasVector() {
      return hasVector;
    },
    ping(options = {}) {
      const answered = pingOnce();
      return options.timeoutMs === undefined ? answered : withDeadline(answered, options.timeoutMs);
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

/** `promise`, or a {@link DatabaseUnavailableError} once `timeoutMs` have passed without it settling. */
function withDeadline(promise: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DatabaseUnavailableError(`the database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
