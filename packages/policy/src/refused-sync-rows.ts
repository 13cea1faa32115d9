import type { LeaseSync } from '@gantry/db';
import { databaseReason } from './settled-entry-writer.ts';

/** A row a lease sync had refused, with the database's error for it. */
export interface RefusedRow<Row> {
  row: Row;
  error: unknown;
}

/** How many rows to keep for inspection. */
const KEPT = 100;

/**
 * What the database refused in lease syncs — ledger entries and lease uses, set aside and never
 * retried: counted since start, the last {@link KEPT} kept with their errors.
 */
export class RefusedSyncRows<Entry extends { id: string }> {
  entries = 0;
  syncs = 0;
  private readonly kept: Array<RefusedRow<Entry | LeaseSync>> = [];

  /** Sets rows aside; returns the error to report them by, once per sync. */
  add(entries: ReadonlyArray<RefusedRow<Entry>>, syncs: ReadonlyArray<RefusedRow<LeaseSync>>): Error {
    this.entries += entries.length;
    this.syncs += syncs.length;
    this.kept.push(...entries, ...syncs);
    this.kept.splice(0, Math.max(0, this.kept.length - KEPT));
    const what = [
      ...(entries.length === 0 ? [] : [`${entries.length} ledger ${entries.length === 1 ? 'entry' : 'entries'} (call ${entries.slice(0, 5).map(({ row }) => row.id).join(', ')}${entries.length > 5 ? ' …' : ''})`]),
      ...(syncs.length === 0 ? [] : [`the use of ${syncs.length} ${syncs.length === 1 ? 'lease' : 'leases'} (${syncs.slice(0, 5).map(({ row }) => row.scope).join(', ')})`]),
    ].join(' and ');
    const first = (entries[0] ?? syncs[0])!;
    return new Error(`budget lease sync: the database refused ${what}, set aside and never retried; everything else was synced: ${databaseReason(first.error)}`, { cause: first.error });
  }

  snapshot(): { entries: number; syncs: number; kept: ReadonlyArray<RefusedRow<Entry | LeaseSync>> } {
    return { entries: this.entries, syncs: this.syncs, kept: [...this.kept] };
  }
}
