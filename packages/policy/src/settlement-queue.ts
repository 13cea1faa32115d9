import { isDataError, settleInLedger, type GantryDb } from '@gantry/db';
import { databaseReason } from './settled-entry-writer.ts';

/** One call's settlement or release of its per-call reservation, as `gantry_settle` takes it. */
export interface Settlement {
  /** The ledger entry's id (the call's span id). */
  id: string;
  state: 'settled' | 'released';
  /** Actual cost in micro-dollars (ignored when released). */
  micros: number;
  tokens: number;
  /** When the call finished: the entry's `settled_at`, however late it is written. */
  at: Date;
  /** A call answered without a provider (a cache hit): what a provider would have cost, in micro-dollars. */
  savedMicros?: number;
}

export interface SettlementQueueOptions {
  /**
   * Settlements kept waiting for the database at most. Past it the oldest is given up on: its entry
   * stays `reserved` until the reservation sweeper closes it after its expiry.
   */
  maxWaiting?: number;
  /** The wait after a first failure, in milliseconds; doubled after each failed retry, up to `maxRetryMs`. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  onError?: (error: unknown) => void;
}

/** What the queue has done since it was made. */
export interface SettlementQueueStats {
  /** Settlements written (on the first try or a retry). */
  settled: number;
  /** Tries that failed, first tries and retries. */
  failedTries: number;
  /** Waiting for the database now. */
  waiting: number;
  /** Given up on (queue full, refused by the database, or still waiting at close): left to the sweeper. */
  leftToSweeper: number;
}

/** Failures are reported at most this often while the database stays away. */
const REPORT_EVERY_MS = 10_000;

/**
 * Writes per-call settlements off the request path. A settlement that fails is retried until the
 * database is back — in order, one at a time, waiting longer after each failure — rather than given
 * up on: a reservation never settled keeps its counters charged until it expires. Memory is bounded
 * by `maxWaiting`; what does not fit, what the database refuses outright (retrying would fail the
 * same way) and what is still waiting at close is left to the reservation sweeper, which settles
 * it at its span's usage or releases it once it expires.
 */
export class SettlementQueue {
  /** By entry id, oldest first (a Map keeps insertion order). */
  private readonly waiting = new Map<string, Settlement>();
  private readonly firstTries = new Set<Promise<void>>();
  private readonly stats = { settled: 0, failedTries: 0, leftToSweeper: 0 };
  private readonly maxWaiting: number;
  private readonly firstRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly onError: (error: unknown) => void;
  private retrying: Promise<void> | undefined;
  /** Ends the current wait between retries at once (drain, close). */
  private wakeUp: (() => void) | undefined;
  /** Resolved when the current retry pass ends (drain). */
  private passWaiters: Array<() => void> = [];
  private closed = false;
  /** Failed tries and settlements pushed out of a full queue since each was last reported, and when that was. */
  private readonly unreported = { failures: 0, pushedOut: 0 };
  private readonly lastReported = { failures: Number.NEGATIVE_INFINITY, pushedOut: Number.NEGATIVE_INFINITY };

  constructor(
    private readonly db: GantryDb,
    options: SettlementQueueOptions = {},
  ) {
    this.maxWaiting = Math.max(1, options.maxWaiting ?? 10_000);
    this.firstRetryMs = options.firstRetryMs ?? 250;
    this.maxRetryMs = Math.max(this.firstRetryMs, options.maxRetryMs ?? 5_000);
    this.onError = options.onError ?? (() => {});
  }

  /** Writes a settlement now; if that fails, it waits its turn for the database to come back. */
  settle(settlement: Settlement): void {
    // While others wait, the database is likely away: join them rather than fail alongside.
    if (this.waiting.size > 0) {
      this.wait(settlement);
      return;
    }
    const attempt = this.firstTry(settlement);
    this.firstTries.add(attempt);
    void attempt.finally(() => this.firstTries.delete(attempt));
  }

  getStats(): SettlementQueueStats {
    return { ...this.stats, waiting: this.waiting.size };
  }

  private async firstTry(settlement: Settlement): Promise<void> {
    try {
      await this.write(settlement);
    } catch (error) {
      if (this.refused(settlement, error)) return;
      this.wait(settlement);
      this.failed(error);
    }
  }

  private async write({ id, state, micros, tokens, at, savedMicros }: Settlement): Promise<void> {
    await settleInLedger(this.db, id, state, micros, tokens, at, savedMicros);
    this.stats.settled += 1;
  }

  /** A settlement the database refuses for what it holds (a cost out of range) is never retried. */
  private refused(settlement: Settlement, error: unknown): boolean {
    if (!isDataError(error)) return false;
    this.stats.failedTries += 1;
    this.stats.leftToSweeper += 1;
    this.onError(new Error(`the database refused to settle call ${settlement.id} (${settlement.state}, ${settlement.micros} micro-dollars, ${settlement.tokens} tokens), not retried; its reservation is left to the sweeper: ${databaseReason(error)}`, { cause: error }));
    return true;
  }

  private wait(settlement: Settlement): void {
    if (this.closed) {
      this.stats.leftToSweeper += 1;
      return;
    }
    if (this.waiting.size >= this.maxWaiting) {
      const oldest = this.waiting.keys().next().value as string;
      this.waiting.delete(oldest);
      this.stats.leftToSweeper += 1;
      this.pushedOut(oldest);
    }
    this.waiting.set(settlement.id, settlement);
    this.ensureRetrying();
  }

  private ensureRetrying(): void {
    if (this.retrying !== undefined || this.closed) return;
    this.retrying = this.retryWaiting().finally(() => {
      this.retrying = undefined;
      // Some may have joined after the last pass looked.
      if (this.waiting.size > 0 && !this.closed) this.ensureRetrying();
      else this.endPass();
    });
  }

  private async retryWaiting(): Promise<void> {
    let delay = this.firstRetryMs;
    while (this.waiting.size > 0 && !this.closed) {
      await this.pause(delay);
      const failed = await this.retryPass();
      delay = failed ? Math.min(delay * 2, this.maxRetryMs) : this.firstRetryMs;
      this.endPass();
    }
  }

  /** Retries the waiting settlements in order until one fails; true if one did. */
  private async retryPass(): Promise<boolean> {
    // A Map's iterator also visits entries added meanwhile, and skips those deleted.
    for (const settlement of this.waiting.values()) {
      if (this.closed) return true;
      try {
        await this.write(settlement);
        // Pushed out of a full queue while being written: written after all, not left to the sweeper.
        if (!this.waiting.delete(settlement.id)) this.stats.leftToSweeper -= 1;
      } catch (error) {
        if (this.refused(settlement, error)) {
          this.waiting.delete(settlement.id);
          continue;
        }
        this.failed(error);
        return true;
      }
    }
    return false;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      // Waiting settlements do not keep the process alive; close() gives them a last try.
      timer.unref();
      this.wakeUp = done;
    });
  }

  private endPass(): void {
    const waiters = this.passWaiters;
    this.passWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Whether to report a kind of event now: the first at once, then at most every 10 s (returns how many since). */
  private due(kind: 'failures' | 'pushedOut'): number {
    this.unreported[kind] += 1;
    const now = performance.now();
    if (now - this.lastReported[kind] < REPORT_EVERY_MS) return 0;
    this.lastReported[kind] = now;
    const count = this.unreported[kind];
    this.unreported[kind] = 0;
    return count;
  }

  private failed(error: unknown): void {
    this.stats.failedTries += 1;
    const failures = this.due('failures');
    if (failures === 0) return;
    this.onError(
      new Error(
        `settling budget reservations failed (${failures} ${failures === 1 ? 'try' : 'tries'} since the last report); ${this.waiting.size} waiting (at most ${this.maxWaiting}) are retried until the database is back: ${(error as Error).message}`,
        { cause: error },
      ),
    );
  }

  private pushedOut(id: string): void {
    const count = this.due('pushedOut');
    if (count === 0) return;
    this.onError(new Error(`budget settlements waiting for the database are at their bound (${this.maxWaiting}): the oldest (${count === 1 ? `call ${id}` : `${count} since the last report, the last call ${id}`}) left to the reservation sweeper, which settles or releases it once it expires`));
  }

  /**
   * Waits for every first try started so far, then retries whatever waits, at once: resolves when
   * all of it is written, or a retry failed again (the database is still away; it stays queued).
   */
  async drain(): Promise<void> {
    while (this.firstTries.size > 0) await Promise.all([...this.firstTries]);
    if (this.waiting.size === 0 || this.closed) return;
    const passed = new Promise<void>((resolve) => this.passWaiters.push(resolve));
    this.wakeUp?.();
    await passed;
  }

  /**
   * Gives what waits a last try (drain), then stops retrying: what is still waiting is left to the
   * reservation sweeper, and reported.
   */
  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    this.wakeUp?.();
    await this.retrying;
    if (this.waiting.size === 0) return;
    const ids = [...this.waiting.keys()];
    this.stats.leftToSweeper += ids.length;
    this.waiting.clear();
    this.onError(new Error(`closing with ${ids.length} budget ${ids.length === 1 ? 'settlement' : 'settlements'} not written (call ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ' …' : ''}): the database is away; the reservation sweeper of any instance settles or releases them once they expire`));
  }
}
