import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { claimStaleReplays, endReplay, heartbeatReplays, type GantryDb, type ReplayRow } from '@gantry/db';
import type { ReplayExecutor } from './replay-executor.ts';
import { parseReplayMode } from './replay-mode.ts';
import { pendingPairs, replayPair, type ReplayOptions, type ReplayWorkDeps } from './replay-work.ts';

export interface ReplayRunnerOptions {
  /** How often running replays' heartbeats are renewed, and stale ones looked for. Default 10 s. */
  heartbeatMs?: number;
  /** A replay whose heartbeat is older than this is taken over by another instance. Default 60 s. */
  staleAfterMs?: number;
  onError: (error: unknown, replayId: string) => void;
  now?: () => Date;
}

/**
 * Runs replays in this process: each (item, candidate) pair is a task on a pool of the replay's
 * worker count; every step is stored as it is scored, and an item's roll-up when it ends. A
 * heartbeat on the replay's row says it is being worked on; an instance that finds one stale (its
 * runner died) claims it and resumes it, skipping the steps already scored — nothing is spent twice.
 */
export class ReplayRunner implements ReplayExecutor {
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => Date;
  private closed = false;

  private readonly db: GantryDb;

  constructor(
    private readonly deps: ReplayWorkDeps,
    private readonly options: ReplayRunnerOptions,
  ) {
    this.db = deps.db;
    this.now = options.now ?? (() => new Date());
    this.timer = setInterval(() => void this.tick(), options.heartbeatMs ?? 10_000);
    this.timer.unref();
  }

  /** Starts (or resumes) a replay in the background. */
  start(row: ReplayRow): void {
    if (this.closed || this.active.has(row.id)) return;
    const controller = new AbortController();
    const done = this.run(row, controller.signal)
      .catch((error: unknown) => this.options.onError(error, row.id))
      .finally(() => this.active.delete(row.id));
    this.active.set(row.id, { controller, done });
  }

  /** Stops working on a replay here (it was cancelled); steps in flight are abandoned. */
  stop(id: string): void {
    this.active.get(id)?.controller.abort();
  }

  /** Waits for a replay running here to stop (tests, the CLI's local mode). */
  async settled(id: string): Promise<void> {
    await this.active.get(id)?.done;
  }

  /** Renews this instance's heartbeats, stops cancelled replays, and claims replays whose instance died. */
  async tick(): Promise<void> {
    if (this.closed) return;
    const at = this.now();
    try {
      const ids = [...this.active.keys()];
      const live = new Set(await heartbeatReplays(this.db, ids, at));
      for (const id of ids) if (!live.has(id)) this.stop(id);
      const stale = await claimStaleReplays(this.db, new Date(at.getTime() - (this.options.staleAfterMs ?? 60_000)), at, 4);
      for (const row of stale) this.start(row);
    } catch (error) {
      this.options.onError(error, 'heartbeat');
    }
  }

  private async run(row: ReplayRow, signal: AbortSignal): Promise<void> {
    const mode = parseReplayMode(row.mode);
    if (mode === undefined) {
      await endReplay(this.db, row.id, 'failed', this.now(), `unknown mode '${row.mode}'`);
      return;
    }
    const options = row.options as unknown as ReplayOptions;
    const limit = pLimit(Math.max(1, options.workers));
    // Each call in flight listens on the replay's signal (and lets go when it ends): as many as workers.
    setMaxListeners(Math.max(10, options.workers * 2), signal);
    const tasks = (await pendingPairs(this.db, row)).map((pair) => limit(async () => (signal.aborted ? false : replayPair(this.deps, row, mode, pair, signal))));
    const results = await Promise.allSettled(tasks);
    if (signal.aborted || this.closed) return;
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    await endReplay(this.db, row.id, failure === undefined ? 'succeeded' : 'failed', this.now(), failure === undefined ? undefined : String(failure.reason instanceof Error ? failure.reason.message : failure.reason));
  }

  /** Stops every replay here; they stay `running` in the database, for another instance (or this one, restarted) to resume. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const { controller } of this.active.values()) controller.abort();
    await Promise.allSettled([...this.active.values()].map((entry) => entry.done));
  }
}
