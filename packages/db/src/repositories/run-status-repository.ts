import { sql } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';

/*
 * A tree's runs are locked in id order before they are updated, as every other statement that
 * updates several runs locks them (`updateInIdOrder`: run totals). Updated in the order the plan
 * met them (the table's or its index's, not the ids'), a tree stored out of its ids' order
 * deadlocked against another instance adding to its runs' totals.
 */

/** A run tree over its limits: every running run in it becomes `paused`. */
export async function pauseRunTree(db: GantryDb, rootRunId: string): Promise<void> {
  await db.execute(sql`update runs set status = 'paused'
    where id in (select id from runs where root_run_id = ${rootRunId} and status = 'running' order by id for update)`);
}

/** Limits raised: the paused runs of the tree run again. */
export async function resumeRunTree(db: GantryDb, rootRunId: string): Promise<void> {
  await db.execute(sql`update runs set status = 'running'
    where id in (select id from runs where root_run_id = ${rootRunId} and status = 'paused' order by id for update)`);
}
