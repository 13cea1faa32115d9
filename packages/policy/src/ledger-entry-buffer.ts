/**
 * Ledger entries of finished calls waiting for the next lease sync, at most `max` of them: while
 * the database is away, the oldest are dropped (counted) to make room. Dropping is O(1): the buffer
 * keeps a start offset and compacts once half of it is dropped, rather than shift a long array on
 * every call of an outage.
 */
export class LedgerEntryBuffer<Entry> {
  private items: Entry[] = [];
  private start = 0;
  private droppedTotal = 0;
  private unreported = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.items.length - this.start;
  }

  /** Entries dropped since start. */
  get dropped(): number {
    return this.droppedTotal;
  }

  add(entry: Entry): void {
    if (this.size >= this.max) this.drop(this.size - this.max + 1);
    this.items.push(entry);
  }

  /** Every buffered entry, oldest first; the buffer is empty afterwards. */
  take(): Entry[] {
    const taken = this.start === 0 ? this.items : this.items.slice(this.start);
    this.items = [];
    this.start = 0;
    return taken;
  }

  /** Entries a failed sync took, back in front of those buffered since; the oldest dropped past `max`. */
  putBack(entries: Entry[]): void {
    this.items = entries.concat(this.take());
    if (this.size > this.max) this.drop(this.size - this.max);
  }

  /** Drops counted since the last call (for one report per sync, not one per entry). */
  takeUnreportedDrops(): number {
    const count = this.unreported;
    this.unreported = 0;
    return count;
  }

  private drop(count: number): void {
    this.start += count;
    this.droppedTotal += count;
    this.unreported += count;
    if (this.start * 2 >= this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }
}
