import { insertSettledEntries, ledgerEntryWrite, type GantryDb, type LedgerEntryWrite, type ledgerEntries } from '@gantry/db';

type Row = typeof ledgerEntries.$inferInsert;

/** Refused entries kept for inspection; past this the oldest are forgotten (still counted). */
const KEPT_REFUSED = 100;

/** What the writer has done with the entries given to it. */
export interface SettledEntryWriterStats {
  /** Entries written (or found already written). */
  written: number;
  /** Entries dropped, oldest first, because the buffer was full while the database was away. */
  dropped: number;
  /** Entries the database refused (a value it cannot store): set aside, never retried. */
  refused: number;
  /** Entries waiting to be written. */
  buffered: number;
}

/**
 * Writes the ledger entries of calls no limit applied to (already settled), in batches off the hot
 * path, so that spend reports cover every call. At most `maxBuffered` wait; beyond that the oldest
 * are dropped and reported. While the database is away a batch is retried; an entry the database
 * refuses is set aside (the last {@link KEPT_REFUSED} are kept, all are counted) and reported
 * once, and the rest of its batch is written — it never holds back anyone else's entries.
 */
export class SettledEntryWriter {
  private buffer: LedgerEntryWrite[] = [];
  /** Entries dropped since the last report, because the buffer was full. */
  private dropped = 0;
  private readonly stats = { written: 0, dropped: 0, refused: 0 };
  private readonly refused: Array<{ row: Row; error: unknown }> = [];
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: GantryDb,
    private readonly onError: (error: unknown) => void,
    private readonly maxBuffered = 50_000,
  ) {
    this.timer = setInterval(() => void this.flush(), 250);
    this.timer.unref();
  }

  add(row: Row): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.buffer.shift();
      this.dropped += 1;
      this.stats.dropped += 1;
    }
    this.buffer.push(ledgerEntryWrite(row));
  }

  getStats(): SettledEntryWriterStats {
    return { ...this.stats, buffered: this.buffer.length };
  }

  /** The last entries the database refused, oldest first, with its error for each. */
  refusedEntries(): ReadonlyArray<{ row: Row; error: unknown }> {
    return [...this.refused];
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.dropped > 0) {
        // Reported once per flush, not per entry: a full buffer means the database has been away a while.
        this.onError(new Error(`ledger buffer full: dropped the ${this.dropped} oldest settled entries of calls no limit applied to; spend reports miss them`));
        this.dropped = 0;
      }
      while (this.buffer.length > 0) {
        const batch = this.buffer.splice(0, 500);
        let refused;
        try {
          refused = await insertSettledEntries(this.db, batch);
        } catch (error) {
          this.buffer.unshift(...batch);
          this.onError(error);
          return;
        }
        this.stats.written += batch.length - refused.length;
        if (refused.length > 0) this.setAside(refused);
      }
    });
    return this.flushing;
  }

  private setAside(refused: ReadonlyArray<{ row: Row; error: unknown }>): void {
    this.stats.refused += refused.length;
    this.refused.push(...refused);
    this.refused.splice(0, Math.max(0, this.refused.length - KEPT_REFUSED));
    const first = refused[0]!;
    const ids = refused.slice(0, 5).map(({ row }) => row.id).join(', ');
    const more = refused.length > 5 ? ` and ${refused.length - 5} more` : '';
    this.onError(
      new Error(
        `the database refused ${refused.length} settled ledger ${refused.length === 1 ? 'entry' : 'entries'} (call ${ids}${more}), set aside and never retried; the rest of the batch is written: ${databaseReason(first.error)}`,
        { cause: first.error },
      ),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

/** The database's own words for an error (a failed query's message repeats the whole batch). */
export function databaseReason(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
}
