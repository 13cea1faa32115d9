import { endReplay, getReplay, heartbeatReplays, listReplayItems } from '@gantry/db';
import { parseReplayMode, pendingPairs, replayPair, type ReplayWorkDeps } from '@gantry/evals';
import type { PairEventData } from './replay-events.ts';

/** What the replay functions need from the gateway: the same as the in-process runner's pairs, and where a candidate's calls go. */
export interface InngestReplayDeps extends ReplayWorkDeps {
  /**
   * The provider a candidate's calls go to (`local/llama3` → `local`; an alias → its first
   * target's): the key its pairs' concurrency is limited by. Default: the part before the first `/`.
   */
  providerOf?: (candidate: string) => string;
  /** A heartbeat or status check failed (the step goes on; the next check may succeed). */
  onError: (error: unknown, replayId: string) => void;
  now?: () => Date;
}

/** A pair the plan step fans out: small JSON, the rest is read from the database by the pair's step. */
export interface PlannedPair {
  position: number;
  candidate: number;
  provider: string;
}

/** How a pair's step ended: replayed (stored and its runs ended), or skipped because the replay no longer runs. */
export type PairOutcome = { status: 'replayed' } | { status: 'skipped'; reason: string };

/** The abort reasons of a pair in flight here: the replay was cancelled, or this instance is closing. */
const CANCELLED = 'cancelled';
const CLOSING = 'closing';

/** The provider part of `provider/model`, or the whole name (an alias). */
export function providerPrefix(candidate: string): string {
  const slash = candidate.indexOf('/');
  return slash > 0 ? candidate.slice(0, slash) : candidate;
}

/** The text of an error, for the replay's `error` column. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The work of the replay functions' steps, independent of Inngest: plan the pending pairs, replay
 * one (resumable: `replayPair` skips the steps already scored), end the replay once every pair has
 * ended, or fail it. A pair in flight renews its replay's heartbeat and checks it still runs every
 * `heartbeatMs`, and stops when it was cancelled — here at once when `stop` is called.
 */
export class ReplaySteps {
  private readonly inflight = new Map<string, Set<AbortController>>();
  private readonly settling = new Set<Promise<PairOutcome>>();
  private readonly now: () => Date;
  private closed = false;

  constructor(
    private readonly deps: InngestReplayDeps,
    private readonly heartbeatMs: number,
  ) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The pairs of a running replay still to do, with their providers; none when it ended, and an unknown mode ends it as failed. */
  async plan(replayId: string): Promise<PlannedPair[]> {
    const row = await getReplay(this.deps.db, replayId);
    if (row === undefined || row.status !== 'running') return [];
    if (parseReplayMode(row.mode) === undefined) {
      await endReplay(this.deps.db, row.id, 'failed', this.now(), `unknown mode '${row.mode}'`);
      return [];
    }
    const pairs = await pendingPairs(this.deps.db, row);
    return pairs.map((pair) => ({ position: pair.position, candidate: pair.candidateIndex, provider: this.providerOf(row.candidates[pair.candidateIndex] ?? '') }));
  }

  /**
   * Replays one pair. Skipped when the replay no longer runs; throws when this instance is closing
   * (Inngest retries the step, which resumes after the steps already scored) or the work failed.
   */
  async replay(pair: PairEventData): Promise<PairOutcome> {
    if (this.closed) throw new Error(`replay ${pair.replay_id}: this instance is shutting down; the step is retried`);
    const work = this.replayRunning(pair);
    this.settling.add(work);
    try {
      return await work;
    } finally {
      this.settling.delete(work);
    }
  }

  /** Ends a running replay as succeeded once every pair has ended (incomplete items included, as in-process); true when this call ended it. */
  async endIfDone(replayId: string): Promise<boolean> {
    const row = await getReplay(this.deps.db, replayId);
    if (row === undefined || row.status !== 'running') return false;
    const ended = await listReplayItems(this.deps.db, replayId);
    if (ended.length < row.positions.length * row.candidates.length) return false;
    return endReplay(this.deps.db, replayId, 'succeeded', this.now());
  }

  /** Ends a running replay as failed, naming the pair whose step failed for good and why; true when this call ended it. */
  async fail(pair: PairEventData, message: string): Promise<boolean> {
    const row = await getReplay(this.deps.db, pair.replay_id);
    const candidate = row?.candidates[pair.candidate] ?? `candidate ${pair.candidate}`;
    return endReplay(this.deps.db, pair.replay_id, 'failed', this.now(), `item ${pair.position} against ${candidate}: ${message}`);
  }

  /** Stops this replay's pairs in flight here (it was cancelled). */
  stop(replayId: string): void {
    for (const controller of this.inflight.get(replayId) ?? []) controller.abort(CANCELLED);
  }

  /** Stops every pair in flight here; their steps throw, and Inngest retries them (on another instance, or this one restarted). */
  async close(): Promise<void> {
    this.closed = true;
    for (const controllers of this.inflight.values()) for (const controller of controllers) controller.abort(CLOSING);
    await Promise.allSettled([...this.settling]);
  }

  /** `replay`'s work: the row read, the pair replayed under a controller `stop`, `close` and the heartbeat check can abort. */
  private async replayRunning(pair: PairEventData): Promise<PairOutcome> {
    const row = await getReplay(this.deps.db, pair.replay_id);
    if (row === undefined) return { status: 'skipped', reason: 'no such replay' };
    if (row.status !== 'running') return { status: 'skipped', reason: row.status };
    const mode = parseReplayMode(row.mode);
    if (mode === undefined) return { status: 'skipped', reason: `unknown mode '${row.mode}'` };
    if (!row.positions.includes(pair.position)) throw new Error(`replay ${row.id} has no item ${pair.position}`);
    if (pair.candidate >= row.candidates.length) throw new Error(`replay ${row.id} has no candidate ${pair.candidate}`);
    const controller = this.open(row.id);
    const watch = setInterval(() => void this.check(row.id, controller), this.heartbeatMs);
    watch.unref();
    try {
      await this.check(row.id, controller);
      const finished = !controller.signal.aborted && (await replayPair(this.deps, row, mode, { position: pair.position, candidateIndex: pair.candidate }, controller.signal));
      return finished ? { status: 'replayed' } : this.interrupted(row.id, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return this.interrupted(row.id, controller.signal);
      throw error;
    } finally {
      clearInterval(watch);
      this.release(row.id, controller);
    }
  }

  private providerOf(candidate: string): string {
    try {
      return this.deps.providerOf?.(candidate) ?? providerPrefix(candidate);
    } catch {
      // A candidate that no longer routes fails at its first call; its key only groups its pairs.
      return providerPrefix(candidate);
    }
  }

  /** Renews the heartbeat (so an in-process instance on the same database does not take the replay over) and stops the pair when the replay no longer runs. */
  private async check(replayId: string, controller: AbortController): Promise<void> {
    try {
      const live = await heartbeatReplays(this.deps.db, [replayId], this.now());
      if (!live.includes(replayId)) controller.abort(CANCELLED);
    } catch (error) {
      this.deps.onError(error, replayId);
    }
  }

  private interrupted(replayId: string, signal: AbortSignal): PairOutcome {
    if (signal.reason === CLOSING) throw new Error(`replay ${replayId}: this instance is shutting down; the step is retried and resumes after the steps already scored`);
    return { status: 'skipped', reason: 'cancelled' };
  }

  private open(replayId: string): AbortController {
    const controller = new AbortController();
    const controllers = this.inflight.get(replayId) ?? new Set();
    controllers.add(controller);
    this.inflight.set(replayId, controllers);
    return controller;
  }

  private release(replayId: string, controller: AbortController): void {
    const controllers = this.inflight.get(replayId);
    controllers?.delete(controller);
    if (controllers?.size === 0) this.inflight.delete(replayId);
  }
}
