import { insertRunsIgnoreExisting, insertSpans, type GantryDb, type NewRun, type NewSpan } from '@gantry/db';

export interface SpanRecorderOptions {
  /** Spans held in memory while the database is slow or down; past this, new spans are dropped. */
  maxBufferedSpans?: number;
  /** How often buffered spans are written. */
  flushIntervalMs?: number;
  /** Spans per write; a full batch is written at once rather than waiting for the timer. */
  batchSize?: number;
  /** Called when a write fails or spans are dropped; never throws into the request path. */
  onError?: (error: unknown, context: { dropped: number; buffered: number }) => void;
}

export interface SpanRecorderStats {
  written: number;
  dropped: number;
  buffered: number;
  failedWrites: number;
}

/**
 * Batches run and span writes off the request path. `record()` is synchronous and O(1): it only
 * appends to a bounded buffer. A timer (or a full batch) writes everything buffered in one
 * multi-row insert per table. When the database is unreachable the buffer is kept and retried;
 * once it is full, further spans are dropped and counted — memory stays bounded and requests
 * never wait on the database.
 */
export class SpanRecorder {
  private runs: NewRun[] = [];
  private spans: NewSpan[] = [];
  private readonly maxBuffered: number;
  private readonly batchSize: number;
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  /** The one write queued behind a running one, for what was recorded after it started. */
  private flushingNext: Promise<void> | undefined;
  private closed = false;
  private readonly stats: SpanRecorderStats = { written: 0, dropped: 0, buffered: 0, failedWrites: 0 };

  constructor(
    private readonly db: GantryDb,
    private readonly options: SpanRecorderOptions = {},
  ) {
    this.maxBuffered = options.maxBufferedSpans ?? 10_000;
    this.batchSize = options.batchSize ?? 500;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 200);
    this.timer.unref();
  }

  /** Buffers a run (inserted if new) and its spans. Spans past the buffer bound are dropped. */
  record(run: NewRun | undefined, spans: readonly NewSpan[]): void {
    if (this.spans.length + spans.length > this.maxBuffered) {
      this.stats.dropped += spans.length;
      this.options.onError?.(new Error('span buffer full'), { dropped: this.stats.dropped, buffered: this.spans.length });
      return;
    }
    if (run !== undefined) this.runs.push(run);
    for (const span of spans) this.spans.push(span);
    if (this.spans.length >= this.batchSize && this.flushing === undefined) void this.flush();
  }

  getStats(): SpanRecorderStats {
    return { ...this.stats, buffered: this.spans.length };
  }

  /**
   * Writes everything buffered now. A call made while a write runs waits for it and then writes
   * what arrived meanwhile; concurrent callers share that one follow-up write.
   */
  flush(): Promise<void> {
    if (this.flushing !== undefined) {
      this.flushingNext ??= this.flushing.catch(() => {}).then(() => {
        this.flushingNext = undefined;
        return this.flush();
      });
      return this.flushingNext;
    }
    if (this.spans.length === 0 && this.runs.length === 0) return Promise.resolve();
    this.flushing = this.writeBuffered().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops the timer and writes what is left, retrying a few times (SIGTERM path). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (let tries = 0; tries < 5 && (this.spans.length > 0 || this.runs.length > 0 || this.flushing); tries++) {
      await this.flush();
      if (this.spans.length > 0) await new Promise((resolve) => setTimeout(resolve, 100 * (tries + 1)));
    }
  }

  private async writeBuffered(): Promise<void> {
    const runs = this.runs;
    const spans = this.spans;
    this.runs = [];
    this.spans = [];
    try {
      if (runs.length > 0) await insertRunsIgnoreExisting(this.db, runs);
      if (spans.length > 0) await insertSpans(this.db, spans);
      this.stats.written += spans.length;
    } catch (error) {
      this.stats.failedWrites += 1;
      if (isDataError(error)) {
        // Retrying the same batch would fail forever and starve every later span: find the rows
        // the database refuses, write the others.
        await this.writeOneByOne(runs, spans, error);
        return;
      }
      // Put the batch back in front of what arrived meanwhile, within the bound.
      const room = Math.max(0, this.maxBuffered - this.spans.length);
      const kept = spans.slice(0, room);
      this.stats.dropped += spans.length - kept.length;
      this.spans = [...kept, ...this.spans];
      // A dropped span takes its run with it (as on a full buffer in record()), so runs stay bounded too.
      const droppedRunIds = new Set(spans.slice(kept.length).map((span) => span.runId));
      for (const span of kept) droppedRunIds.delete(span.runId);
      this.runs = [...runs.filter((run) => !droppedRunIds.has(run.id)), ...this.runs];
      this.options.onError?.(error, { dropped: this.stats.dropped, buffered: this.spans.length });
    }
  }

  private async writeOneByOne(runs: NewRun[], spans: NewSpan[], cause: unknown): Promise<void> {
    let refused = 0;
    try {
      for (const run of runs) await insertRunsIgnoreExisting(this.db, [run]).catch((error: unknown) => {
        if (!isDataError(error)) throw error;
      });
      for (let index = 0; index < spans.length; index++) {
        try {
          await insertSpans(this.db, [spans[index]!]);
          this.stats.written += 1;
        } catch (error) {
          if (!isDataError(error)) {
            this.spans = [...spans.slice(index), ...this.spans];
            throw error;
          }
          refused += 1;
        }
      }
    } catch (error) {
      this.options.onError?.(error, { dropped: this.stats.dropped, buffered: this.spans.length });
    }
    if (refused > 0) {
      this.stats.dropped += refused;
      this.options.onError?.(cause, { dropped: this.stats.dropped, buffered: this.spans.length });
    }
  }
}

/** Postgres refused the data itself (SQLSTATE classes 22 and 23): retrying cannot help. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown; cause?: { code?: unknown } } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
