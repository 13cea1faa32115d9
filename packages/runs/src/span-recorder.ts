import {
  applyRunDeltas,
  closeToolSpans,
  insertRunsIgnoreExisting,
  insertSpans,
  type GantryDb,
  type NewRun,
  type NewSpan,
  type RunDelta,
  type ToolSpanClose,
} from '@gantry/db';

export interface SpanRecorderOptions {
  /** Spans held in memory while the database is slow or down; past this, new spans are dropped. */
  maxBufferedSpans?: number;
  /** False: listeners still see every call, but nothing is written (recording off). Default true. */
  enabled?: boolean;
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

/** What one recorded call adds. */
export interface RecordedCall {
  /** A run to create if it does not exist yet. */
  run?: NewRun;
  spans: readonly NewSpan[];
  /** Additions to the run's totals. */
  delta?: RunDelta;
}

/**
 * Observes what is recorded, as it is recorded (before it is written): metrics and trace export
 * hang off this. Called synchronously on the request path — keep it cheap; exceptions are swallowed.
 */
export interface RecorderListener {
  recorded?(call: RecordedCall): void;
  toolSpansClosed?(closes: readonly ToolSpanClose[]): void;
  runEnded?(run: { id: string; status: string; endedAt: Date }): void;
}

interface Pending {
  runs: NewRun[];
  spans: NewSpan[];
  deltas: Map<string, RunDelta>;
  closes: ToolSpanClose[];
}

const empty = (): Pending => ({ runs: [], spans: [], deltas: new Map(), closes: [] });

function addDelta(deltas: Map<string, RunDelta>, delta: RunDelta): void {
  const current = deltas.get(delta.id);
  if (current === undefined) {
    deltas.set(delta.id, { ...delta });
    return;
  }
  current.costMicros += delta.costMicros;
  current.inputTokens += delta.inputTokens;
  current.outputTokens += delta.outputTokens;
  current.llmCalls += delta.llmCalls;
  current.toolCalls += delta.toolCalls;
  if (delta.lastActivityAt > current.lastActivityAt) current.lastActivityAt = delta.lastActivityAt;
}

/**
 * Batches run and span writes off the request path. `record()` is synchronous and O(1): it only
 * appends to bounded buffers (run totals aggregate per run). A timer (or a full batch) writes
 * everything buffered: one statement per table, then the tool-span closes and the run totals.
 * When the database is unreachable the buffer is kept and retried; once it is full, further spans
 * are dropped and counted — memory stays bounded and requests never wait on the database.
 */
export class SpanRecorder {
  private pending: Pending = empty();
  private readonly maxBuffered: number;
  private readonly batchSize: number;
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  /** The one write queued behind a running one, for what was recorded after it started. */
  private flushingNext: Promise<void> | undefined;
  private closed = false;
  private readonly stats: SpanRecorderStats = { written: 0, dropped: 0, buffered: 0, failedWrites: 0 };
  private readonly listeners: RecorderListener[] = [];

  constructor(
    private readonly db: GantryDb,
    private readonly options: SpanRecorderOptions = {},
  ) {
    this.maxBuffered = options.maxBufferedSpans ?? 10_000;
    this.batchSize = options.batchSize ?? 500;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 200);
    this.timer.unref();
  }

  addListener(listener: RecorderListener): void {
    this.listeners.push(listener);
  }

  private notify(each: (listener: RecorderListener) => void): void {
    for (const listener of this.listeners) {
      try {
        each(listener);
      } catch {
        // An observer's failure must never fail or slow the call it observes.
      }
    }
  }

  /** Tells listeners a run ended (the run row itself is written by the caller). */
  runEnded(run: { id: string; status: string; endedAt: Date }): void {
    this.notify((listener) => listener.runEnded?.(run));
  }

  /** Buffers a call's rows. Past the buffer bound the call is dropped, and counted. */
  record(call: RecordedCall): void {
    if (this.listeners.length > 0) this.notify((listener) => listener.recorded?.(call));
    if (this.options.enabled === false) return;
    const pending = this.pending;
    if (pending.spans.length + call.spans.length > this.maxBuffered) {
      this.stats.dropped += call.spans.length;
      this.options.onError?.(new Error('span buffer full'), { dropped: this.stats.dropped, buffered: pending.spans.length });
      return;
    }
    if (call.run !== undefined) pending.runs.push(call.run);
    for (const span of call.spans) pending.spans.push(span);
    if (call.delta !== undefined) addDelta(pending.deltas, call.delta);
    if (pending.spans.length >= this.batchSize && this.flushing === undefined) void this.flush();
  }

  /** Buffers the closing of tool spans whose results a request carried. */
  closeToolSpans(closes: readonly ToolSpanClose[]): void {
    if (this.listeners.length > 0) this.notify((listener) => listener.toolSpansClosed?.(closes));
    if (this.options.enabled === false) return;
    if (this.pending.closes.length + closes.length > this.maxBuffered) {
      this.stats.dropped += closes.length;
      return;
    }
    for (const close of closes) this.pending.closes.push(close);
  }

  getStats(): SpanRecorderStats {
    return { ...this.stats, buffered: this.pending.spans.length };
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
    const { runs, spans, deltas, closes } = this.pending;
    if (spans.length === 0 && runs.length === 0 && deltas.size === 0 && closes.length === 0) return Promise.resolve();
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
    for (let tries = 0; tries < 5 && (this.hasPending() || this.flushing); tries++) {
      await this.flush();
      if (this.hasPending()) await new Promise((resolve) => setTimeout(resolve, 100 * (tries + 1)));
    }
  }

  private hasPending(): boolean {
    const { runs, spans, deltas, closes } = this.pending;
    return spans.length > 0 || runs.length > 0 || deltas.size > 0 || closes.length > 0;
  }

  private async writeBuffered(): Promise<void> {
    const batch = this.pending;
    this.pending = empty();
    let spansWritten = false;
    try {
      if (batch.runs.length > 0) await insertRunsIgnoreExisting(this.db, batch.runs);
      if (batch.spans.length > 0) await insertSpans(this.db, batch.spans);
      spansWritten = true;
      this.stats.written += batch.spans.length;
      // Closes after inserts: a tool span opened and answered within one batch exists by now.
      if (batch.closes.length > 0) await closeToolSpans(this.db, batch.closes);
      if (batch.deltas.size > 0) await applyRunDeltas(this.db, [...batch.deltas.values()]);
    } catch (error) {
      this.stats.failedWrites += 1;
      if (isDataError(error)) {
        // Retrying the same batch would fail forever and starve every later span: find the rows
        // the database refuses, write the others.
        await this.writeOneByOne(spansWritten ? { ...batch, runs: [], spans: [] } : batch, error);
        return;
      }
      this.requeue(spansWritten ? { ...batch, runs: [], spans: [] } : batch, error);
    }
  }

  /** Puts a failed batch back in front of what arrived meanwhile, within the bound. */
  private requeue(batch: Pending, error: unknown): void {
    const pending = this.pending;
    const room = Math.max(0, this.maxBuffered - pending.spans.length);
    const kept = batch.spans.slice(0, room);
    this.stats.dropped += batch.spans.length - kept.length;
    // A dropped span takes its run with it (as on a full buffer in record()), so runs stay bounded too.
    const droppedRunIds = new Set(batch.spans.slice(kept.length).map((span) => span.runId));
    for (const span of kept) droppedRunIds.delete(span.runId);
    pending.spans = [...kept, ...pending.spans];
    pending.runs = [...batch.runs.filter((run) => !droppedRunIds.has(run.id)), ...pending.runs];
    for (const delta of batch.deltas.values()) if (!droppedRunIds.has(delta.id)) addDelta(pending.deltas, delta);
    pending.closes = [...batch.closes.slice(0, Math.max(0, this.maxBuffered - pending.closes.length)), ...pending.closes];
    this.options.onError?.(error, { dropped: this.stats.dropped, buffered: pending.spans.length });
  }

  private async writeOneByOne(batch: Pending, cause: unknown): Promise<void> {
    let refused = 0;
    const attempt = async (write: () => Promise<unknown>): Promise<boolean> => {
      try {
        await write();
        return true;
      } catch (error) {
        if (!isDataError(error)) throw error;
        return false;
      }
    };
    let index = 0;
    try {
      for (const run of batch.runs) await attempt(() => insertRunsIgnoreExisting(this.db, [run]));
      for (; index < batch.spans.length; index++) {
        if (await attempt(() => insertSpans(this.db, [batch.spans[index]!]))) this.stats.written += 1;
        else refused += 1;
      }
      for (const close of batch.closes) await attempt(() => closeToolSpans(this.db, [close]));
      for (const delta of batch.deltas.values()) await attempt(() => applyRunDeltas(this.db, [delta]));
    } catch (error) {
      // The database went away meanwhile: what is not written yet waits for the next flush.
      this.requeue({ ...batch, runs: [], spans: batch.spans.slice(index) }, error);
    }
    if (refused > 0) {
      this.stats.dropped += refused;
      this.options.onError?.(cause, { dropped: this.stats.dropped, buffered: this.pending.spans.length });
    }
  }
}

/** Postgres refused the data itself (SQLSTATE classes 22 and 23): retrying cannot help. */
function isDataError(error: unknown): boolean {
  const candidate = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = candidate?.code ?? candidate?.cause?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
