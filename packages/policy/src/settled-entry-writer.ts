import { insertSettledEntries, type GantryDb, type ledgerEntries } from '@gantry/db';

type Row = typeof ledgerEntries.$inferInsert;

/**
 * Writes the ledger entries of calls no limit applied to (already settled), in batches off the hot
 * path, so that spend reports cover every call. At most `maxBuffered` wait; beyond that the oldest
 * are dropped and reported.
 */
export class SettledEntryWriter {
  private buffer: Row[] = [];
  /** Entries dropped since the last report, because the buffer was full. */
  private dropped = 0;
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
    }
    this.buffer.push(row);
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
        try {
          await insertSettledEntries(this.db, batch);
        } catch (error) {
          this.buffer.unshift(...batch);
          this.onError(error);
          return;
        }
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
