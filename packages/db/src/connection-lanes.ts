import type pg from 'pg';

/*
 * PGlite is one Postgres session, so the gateway reaches it through one connection and its
 * statements wait in line. In line with a request's statement (claiming a named run, say) were
 * the recorder's and the ledger's batches: with another tenant sending megabyte prompts, 9-19
 * statements were queued and a call waited 30-95 ms (median) for its one (the drill's heavy
 * slices). Two lanes share the connection, and a statement on the request path goes before the
 * background statements queued shortly before it.
 */

/** Who waits for a statement: a request (`request`), or nobody (`background`: batched writes, sweeps). */
export type Lane = 'request' | 'background';

/**
 * How much sooner than a background statement a request's statement gets the connection: turns go
 * by arrival, a background statement's counted this much later. So a request waits for the
 * statement under way and for background ones queued more than this before it, and a background
 * statement is never passed by requests for longer than this: the recorder keeps pace under any
 * stream of requests (with strict priority, sixteen clients each naming a new run held its writes
 * back so far that a crash lost ten times the spans of one flush interval).
 */
export const REQUEST_HEAD_START_MS = 25;

interface Waiter {
  /** When it may go ahead of every waiter due later: its arrival, plus the head start if background. */
  due: number;
  go: () => void;
}

/** The one connection's turns: by arrival, requests with a head start of {@link REQUEST_HEAD_START_MS}. */
export class ConnectionLanes {
  private busy = false;
  private readonly waiting: Record<Lane, Waiter[]> = { request: [], background: [] };

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Resolves when `lane`'s caller may use the connection, with the function that gives it up (call it once). */
  acquire(lane: Lane): Promise<() => void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.releaser());
    }
    const due = this.now() + (lane === 'background' ? REQUEST_HEAD_START_MS : 0);
    return new Promise((resolve) => this.waiting[lane].push({ due, go: () => resolve(this.releaser()) }));
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.next();
    };
  }

  private next(): void {
    const { request, background } = this.waiting;
    // Each lane is in arrival order: the next turn is the earlier due of the two heads.
    const lane = background[0] !== undefined && (request[0] === undefined || background[0].due < request[0].due) ? background : request;
    const waiter = lane.shift();
    if (waiter === undefined) this.busy = false;
    else waiter.go();
  }
}

type QueryArgs = Parameters<pg.PoolClient['query']>;

/**
 * A `pg.Pool` as drizzle uses one (`query`, and `connect` for a transaction), whose statements
 * take `lane`'s turn at `pool`'s one connection. Named `…Pool`: drizzle runs a transaction on a
 * connection of its own only for a client it takes for a pool.
 */
export class LanePool {
  constructor(
    private readonly pool: pg.Pool,
    private readonly lanes: ConnectionLanes,
    private readonly lane: Lane,
  ) {}

  async connect(): Promise<pg.PoolClient> {
    const done = await this.lanes.acquire(this.lane);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      done();
      throw error;
    }
    const release = client.release;
    client.release = (error?: Error | boolean) => {
      client.release = release;
      release.call(client, error);
      done();
    };
    return client;
  }

  /** As `pg.Pool.query`: the connection is given back, and dropped when the statement failed. */
  async query(...args: QueryArgs): Promise<unknown> {
    const client = await this.connect();
    try {
      const result = await (client.query as (...query: QueryArgs) => Promise<unknown>)(...args);
      client.release();
      return result;
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
  }
}
