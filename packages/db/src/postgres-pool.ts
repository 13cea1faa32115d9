import pg from 'pg';

/**
 * How long Gantry waits on Postgres before giving up, so that a server that hangs (answers
 * nothing, keeps its sockets open) costs a request a bounded wait and a 503, never the whole outage.
 */
export interface DatabaseTimeouts {
  /**
   * Milliseconds to open a connection (TCP, TLS, startup and authentication), and to wait for a
   * free one when the pool is full.
   */
  connectMs: number;
  /**
   * Milliseconds to wait for the answer to one statement; then the statement's connection is
   * closed and the statement fails. Migrations are exempt (they run as long as they need).
   */
  queryMs: number;
}

/**
 * A few seconds: a frozen server is noticed quickly, and the heaviest statement the gateway runs
 * (a spend report over a month of ledger entries, a batch of spans of up to 8 MiB) still fits.
 */
export const DEFAULT_DATABASE_TIMEOUTS: Readonly<DatabaseTimeouts> = { connectMs: 5_000, queryMs: 10_000 };

/** An idle connection is probed after this long, so a peer that vanished is noticed by the OS. */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

/**
 * The connection settings every Postgres connection of the gateway shares: connect timeout and
 * TCP keepalive. The query timeout is the pool's (see {@link createPostgresPool}); migrations
 * connect with these settings alone.
 *
 * The timeout that matters against a frozen server is the client's own (`query_timeout`): a server
 * that hangs never enforces its `statement_timeout`. Gantry sets no `statement_timeout` itself: it
 * travels as a startup parameter, which PgBouncer and managed poolers refuse; set it on the role
 * (`alter role … set statement_timeout`) to have the server cancel long statements too.
 */
export function postgresConnectionConfig(url: string, timeouts: DatabaseTimeouts): pg.ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: timeouts.connectMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
  };
}

/** A pool for Postgres with {@link postgresConnectionConfig} and the query timeout. */
export function createPostgresPool(url: string, timeouts: DatabaseTimeouts): pg.Pool {
  const pool = new pg.Pool({ ...postgresConnectionConfig(url, timeouts), query_timeout: timeouts.queryMs });
  closeConnectionsReleasedBusy(pool);
  return pool;
}

/**
 * A connection handed back to the pool while a statement on it is still unanswered (a timed-out
 * statement, or a transaction whose `rollback` timed out behind it) is closed rather than reused.
 * Otherwise the next caller's statements would queue behind the stuck one and, once it finished,
 * run inside the transaction that was never rolled back — committed by no one, lost on close.
 */
export function closeConnectionsReleasedBusy(pool: pg.Pool): void {
  pool.on('release', (error: Error | undefined, client: pg.PoolClient) => {
    if (error === undefined && hasUnansweredStatement(client)) void client.end().catch(() => {});
  });
}

/**
 * Whether a statement sent on `client` has not been answered yet. pg keeps this in an internal
 * field (`_getActiveQuery()`, read by pg-pool the same way for `_queryable` and `_ending`).
 */
function hasUnansweredStatement(client: pg.PoolClient): boolean {
  const internals = client as unknown as { _getActiveQuery?: () => unknown };
  return typeof internals._getActiveQuery === 'function' && internals._getActiveQuery() != null;
}
