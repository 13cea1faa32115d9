import { and, eq, inArray } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { runs } from '../schema/runs.ts';

/** A run tree over its limits: every running run in it becomes `paused`. */
export async function pauseRunTree(db: GantryDb, rootRunId: string): Promise<void> {
  await db.update(runs).set({ status: 'paused' }).where(and(eq(runs.rootRunId, rootRunId), eq(runs.status, 'running')));
}

/** Limits raised: the paused runs of the tree run again. */
export async function resumeRunTree(db: GantryDb, rootRunId: string): Promise<void> {
  await db.update(runs).set({ status: 'running' }).where(and(eq(runs.rootRunId, rootRunId), inArray(runs.status, ['paused'])));
}
