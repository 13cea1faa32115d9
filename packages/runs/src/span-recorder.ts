import {
  applyRunDeltas,
  closeToolSpans,
  insertSpanTexts,
  type GantryDb,
  type NewSpan,
  type RunDelta,
  type ToolSpanClose,
} from '@gantry/db';
import { jsonLength } from '@gantry/spec';
import { batchEnd, BODY_KEYS, withTexts, writeIsolating, type BodyKey, type BufferedSpan } from './span-batches.ts';
import { shortenedOutput, truncatedBody, truncatedBodyInSlices, type TruncatedBody } from './stored-body-size.ts';

export interface SpanRecorderOptions {
  /** Spans held in memory while the database is slow or down; past this, new spans are dropped. */
  maxBufferedSpans?: number;
  /**
   * Size of the spans and tool-span closes held in memory, in characters of their rows' JSON (bytes
   * for ASCII; estimated for a body held until it is written); past this, new spans are dropped.
   * Default 64 MiB.
   */
  maxBufferedBytes?: number;
  /**
   * Size of one insert statement's spans, counted as `maxBufferedBytes`; this much buffered is
   * written at once. Default 256 KiB: a statement's rows are joined in one go on the event loop,
   * and a large one held every open stream's next chunk (8 MiB statements took up to 39 ms).
   */
  maxBatchBytes?: number;
  /**
   * A span's request, result or raw exchange larger than this, counted as `maxBufferedBytes`, is
   * stored as a {@link TruncatedBody}, and a tool span's output likewise shortened. Default 1 MiB.
   */
  maxBodyBytes?: number;
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
  /** Spans not stored: the buffer was full, or the database refused them. */
  dropped: number;
  buffered: number;
  /** Estimated size of what is buffered (see `maxBufferedBytes`). */
  bufferedBytes: number;
  /** Flushes in which a statement failed (and was retried later, or split to find refused rows). */
  failedWrites: number;
  /** Rows the database refused (spans, tool-span closes, run totals): set aside, never retried. */
  refused: number;
  /** Requests, results and raw exchanges stored truncated, and tool outputs shortened. */
  truncated: number;
}

/** A row the database refused, set aside (see {@link SpanRecorder.refusedRows}), with its error for this row alone. */
export interface RefusedRecord {
  table: 'spans' | 'tool span closes' | 'run totals';
  /** A span refused when written is its row as written (keys are column names); one that could not be made into a row is the span. */
  row: NewSpan | Record<string, unknown> | ToolSpanClose | RunDelta;
  error: unknown;
}

/** What one recorded call adds. */
export interface RecordedCall {
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
  spans: BufferedSpan[];
  deltas: Map<string, RunDelta>;
  closes: ToolSpanClose[];
  /** Estimated size of the spans and closes. */
  bytes: number;
}

const empty = (): Pending => ({ spans: [], deltas: new Map(), closes: [], bytes: 0 });

const MIB = 1024 * 1024;
/** What a span row adds beyond its values: its keys, quotes and commas (about 20 columns). */
const ROW_OVERHEAD = 400;
/** Refused rows kept for inspection: at most this many, and at most `maxBatchBytes` of them. */
const KEPT_REFUSED = 100;

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
 * Batches span writes off the request path (a call that names no run has no run row: its run is
 * read from its llm span). `record()` is synchronous and cheap: it makes the call's rows into
 * their JSON text and appends them to bounded buffers (run totals aggregate per run), so a write
 * joins texts rather than serializing hundreds of rows in one turn of the event loop. Bodies past
 * `maxBodyBytes` are stored truncated ({@link TruncatedBody}): when written, 256 KiB at a time,
 * if the buffer can hold them whole until then (counted at their size), else at once. A timer (or
 * a full batch, by count or size) writes everything buffered: spans in statements of at most
 * `maxBatchBytes` (idempotent: a batch written again after a timeout is harmless), tool-span
 * closes, run totals.
 * While the database is unreachable the buffer is kept and retried; once full (by count or size),
 * new spans are dropped and counted — memory stays bounded, requests never wait on the database.
 * A row the database refuses for its data is found by halving, set aside, counted and reported
 * once, and never retried; the rest of its batch is written.
 */
export class SpanRecorder {
  private pending: Pending = empty();
  private readonly maxBuffered: number;
  private readonly maxBufferedBytes: number;
  private readonly maxBatchBytes: number;
  private readonly maxBodyBytes: number;
  private readonly batchSize: number;
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  /** The one write queued behind a running one, for what was recorded after it started. */
  private flushingNext: Promise<void> | undefined;
  private closed = false;
  private readonly stats: Omit<SpanRecorderStats, 'buffered' | 'bufferedBytes'> = { written: 0, dropped: 0, failedWrites: 0, refused: 0, truncated: 0 };
  private readonly refused: Array<RefusedRecord & { bytes: number }> = [];
  private refusedBytes = 0;
  private readonly listeners: RecorderListener[] = [];

  constructor(
    private readonly db: GantryDb,
    private readonly options: SpanRecorderOptions = {},
  ) {
    this.maxBuffered = options.maxBufferedSpans ?? 10_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * MIB;
    this.maxBatchBytes = options.maxBatchBytes ?? 256 * 1024;
    this.maxBodyBytes = options.maxBodyBytes ?? MIB;
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

  /** Buffers a call's rows. Past the buffer's bounds the call is dropped, and counted. */
  record(call: RecordedCall): void {
    if (this.listeners.length > 0) this.notify((listener) => listener.recorded?.(call));
    if (this.options.enabled === false) return;
    const pending = this.pending;
    if (pending.spans.length + call.spans.length > this.maxBuffered) {
      this.drop(call.spans.length);
      return;
    }
    let room = this.maxBufferedBytes - pending.bytes;
    let spans = call.spans.map((span) => {
      const buffered = this.storable(span, room);
      room -= buffered.bytes;
      return buffered;
    });
    const refused: RefusedRecord[] = [];
    spans = withTexts(spans, (row, error) => refused.push({ table: 'spans', row, error }));
    if (refused.length > 0) {
      this.stats.dropped += refused.length;
      this.setAside(refused);
    }
    const bytes = spans.reduce((total, buffered) => total + buffered.bytes, 0);
    if (pending.bytes + bytes > this.maxBufferedBytes) {
      this.drop(spans.length);
      return;
    }
    for (const span of spans) pending.spans.push(span);
    pending.bytes += bytes;
    if (call.delta !== undefined) addDelta(pending.deltas, call.delta);
    if ((pending.spans.length >= this.batchSize || pending.bytes >= this.maxBatchBytes) && this.flushing === undefined) void this.flush();
  }

  private drop(count: number): void {
    this.stats.dropped += count;
    const { spans, bytes } = this.pending;
    this.options.onError?.(new Error(`span buffer full (${spans.length} spans, about ${Math.round(bytes / MIB)} MiB): the database is slow or away`), { dropped: this.stats.dropped, buffered: spans.length });
  }

  /**
   * The span as it will be buffered: a body past `maxBodyBytes` is held whole to be truncated when
   * written, while `room` (bytes of the buffer left) holds it, else truncated now. `bytes` is the
   * estimated size of a span with bodies held, and 0 for the others until {@link withTexts}.
   */
  private storable(span: NewSpan, room = 0): BufferedSpan {
    let stored = span;
    let held: BodyKey[] | undefined;
    let heldBytes = 0;
    for (const key of BODY_KEYS) {
      const value = span[key];
      if (value === undefined || value === null || jsonLength(value, this.maxBodyBytes) <= this.maxBodyBytes) continue;
      const whole = jsonLength(value, room - heldBytes);
      if (heldBytes + whole <= room) {
        (held ??= []).push(key);
        heldBytes += whole;
        continue;
      }
      if (stored === span) stored = { ...span };
      stored[key] = truncatedBody(value);
      this.stats.truncated += 1;
    }
    if (held === undefined) return { runId: span.runId, span: stored, bytes: 0 };
    let bytes = ROW_OVERHEAD + heldBytes;
    for (const [key, value] of Object.entries(stored)) if (value !== undefined && !held.includes(key as BodyKey)) bytes += jsonLength(value, Number.POSITIVE_INFINITY);
    return { runId: span.runId, span: stored, bytes, held };
  }

  /**
   * `spans` with the bodies held whole truncated, 256 KiB at a time. A span whose body cannot
   * be serialized is left out and refused.
   */
  private async truncateHeld(spans: BufferedSpan[], refuse: (span: NewSpan, error: unknown) => void): Promise<BufferedSpan[]> {
    if (!spans.some((buffered) => buffered.held !== undefined)) return spans;
    const kept: BufferedSpan[] = [];
    for (const buffered of spans) {
      if (buffered.held === undefined) {
        kept.push(buffered);
        continue;
      }
      try {
        const stored = { ...buffered.span! };
        for (const key of buffered.held) {
          stored[key] = await truncatedBodyInSlices(stored[key]);
          this.stats.truncated += 1;
        }
        kept.push(
          ...withTexts([this.storable(stored)], (span, error) => {
            this.stats.dropped += 1;
            refuse(span, error);
          }),
        );
      } catch (error) {
        this.stats.dropped += 1;
        refuse(buffered.span!, error);
      }
    }
    return kept;
  }

  /** Buffers the closing of tool spans whose results a request carried. */
  closeToolSpans(closes: readonly ToolSpanClose[]): void {
    if (this.listeners.length > 0) this.notify((listener) => listener.toolSpansClosed?.(closes));
    if (this.options.enabled === false) return;
    const pending = this.pending;
    if (pending.closes.length + closes.length > this.maxBuffered) {
      this.stats.dropped += closes.length;
      return;
    }
    let bytes = 0;
    const stored = closes.map((close) => {
      if (close.output.length <= this.maxBodyBytes) {
        bytes += close.output.length + ROW_OVERHEAD;
        return close;
      }
      this.stats.truncated += 1;
      const output = shortenedOutput(close.output);
      bytes += output.length + ROW_OVERHEAD;
      return { ...close, output };
    });
    if (pending.bytes + bytes > this.maxBufferedBytes) {
      this.stats.dropped += closes.length;
      return;
    }
    for (const close of stored) pending.closes.push(close);
    pending.bytes += bytes;
  }

  getStats(): SpanRecorderStats {
    return { ...this.stats, buffered: this.pending.spans.length, bufferedBytes: this.pending.bytes };
  }

  /**
   * The last rows the database refused, oldest first (at most 100, and at most `maxBatchBytes` of
   * them): never retried, kept for inspection. `refused` in the stats counts all of them.
   */
  refusedRows(): readonly RefusedRecord[] {
    return this.refused.map(({ table, row, error }) => ({ table, row, error }));
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
    if (!this.hasPending()) return Promise.resolve();
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
    const { spans, deltas, closes } = this.pending;
    return spans.length > 0 || deltas.size > 0 || closes.length > 0;
  }

  private async writeBuffered(): Promise<void> {
    const batch = this.pending;
    this.pending = empty();
    const refused: RefusedRecord[] = [];
    const refuse = (table: RefusedRecord['table']) => (row: RefusedRecord['row'], error: unknown) => refused.push({ table, row, error });
    try {
      batch.spans = await this.truncateHeld(batch.spans, refuse('spans'));
      for (let start = 0; start < batch.spans.length; ) {
        const end = batchEnd(batch.spans, start, this.maxBatchBytes);
        const spans = await writeIsolating(batch.spans.slice(start, end), (rows) => insertSpanTexts(this.db, rows.map((row) => row.text!)), (row, error) => {
          this.stats.dropped += 1;
          // Text JSON.stringify made parses back (a span it could not make never got this far).
          refused.push({ table: 'spans', row: row.text?.length ? (JSON.parse(row.text.toString()) as Record<string, unknown>) : row.span!, error });
        });
        this.stats.written += spans.written;
        if (spans.error !== undefined) return this.requeue({ ...batch, spans: [...spans.unwritten, ...batch.spans.slice(end)] }, spans.error);
        start = end;
      }
      // Closes after inserts: a tool span opened and answered within one batch exists by now.
      const closes = await writeIsolating(batch.closes, (rows) => closeToolSpans(this.db, rows), refuse('tool span closes'));
      if (closes.error !== undefined) return this.requeue({ ...batch, spans: [], closes: closes.unwritten }, closes.error);
      const deltas = await writeIsolating([...batch.deltas.values()], (rows) => applyRunDeltas(this.db, rows), refuse('run totals'));
      if (deltas.error !== undefined) return this.requeue({ ...empty(), deltas: new Map(deltas.unwritten.map((delta) => [delta.id, delta])) }, deltas.error);
    } finally {
      if (refused.length > 0) this.setAside(refused);
    }
  }

  /** Keeps refused rows for inspection (bounded), counts them, and reports them once. */
  private setAside(refused: readonly RefusedRecord[]): void {
    this.stats.failedWrites += 1;
    this.stats.refused += refused.length;
    for (const record of refused) {
      const bytes = jsonLength(record.row, this.maxBatchBytes) + ROW_OVERHEAD;
      this.refused.push({ ...record, bytes });
      this.refusedBytes += bytes;
    }
    while (this.refused.length > KEPT_REFUSED || (this.refusedBytes > this.maxBatchBytes && this.refused.length > 0)) this.refusedBytes -= this.refused.shift()!.bytes;
    const first = refused[0]!;
    // The database's own words: a failed query's message repeats the whole batch.
    const cause = (first.error as { cause?: unknown } | null)?.cause;
    const reason = cause instanceof Error ? cause.message : first.error instanceof Error ? first.error.message : String(first.error);
    const tables = [...new Set(refused.map((record) => record.table))].join(', ');
    this.options.onError?.(
      new Error(`the database refused ${refused.length} recorded ${refused.length === 1 ? 'row' : 'rows'} (${tables}), set aside and never retried; the rest of the batch is written: ${reason}`, { cause: first.error }),
      { dropped: this.stats.dropped, buffered: this.pending.spans.length },
    );
  }

  /** Puts a failed batch back in front of what arrived meanwhile, within the bounds. */
  private requeue(batch: Pending, error: unknown): void {
    this.stats.failedWrites += 1;
    const pending = this.pending;
    let room = Math.max(0, this.maxBuffered - pending.spans.length);
    let roomBytes = this.maxBufferedBytes - pending.bytes;
    let kept = 0;
    let keptBytes = 0;
    for (const span of batch.spans) {
      if (room === 0 || span.bytes > roomBytes) break;
      room -= 1;
      roomBytes -= span.bytes;
      kept += 1;
      keptBytes += span.bytes;
    }
    this.stats.dropped += batch.spans.length - kept;
    // A dropped span takes its run's totals with it (as on a full buffer in record()).
    const droppedRunIds = new Set(batch.spans.slice(kept).map((span) => span.runId));
    for (const span of batch.spans.slice(0, kept)) droppedRunIds.delete(span.runId);
    pending.spans = [...batch.spans.slice(0, kept), ...pending.spans];
    for (const delta of batch.deltas.values()) if (!droppedRunIds.has(delta.id)) addDelta(pending.deltas, delta);
    const closes = batch.closes.slice(0, Math.max(0, this.maxBuffered - pending.closes.length));
    pending.closes = [...closes, ...pending.closes];
    for (const close of closes) keptBytes += close.output.length + ROW_OVERHEAD;
    pending.bytes += keptBytes;
    this.options.onError?.(error, { dropped: this.stats.dropped, buffered: pending.spans.length });
  }
}
