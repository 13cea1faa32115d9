import { and, eq, gt, lt } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { pseudonyms, type NewPseudonymRow, type PseudonymRow } from '../schema/pseudonyms.ts';

/**
 * Stores new pseudonyms, leaving any row another call (or instance) stored first for the same
 * value — or the same placeholder — untouched; returns the rows this call stored. Rows go in in
 * key order: two instances inserting the same values in different orders each waited for a row
 * the other had just written, and Postgres broke the cycle by failing one (deadlock detected,
 * 2 races in 300 on Postgres 15). In one order, the second writer waits for the first at its
 * first shared row, before it holds any the first one needs.
 */
export async function insertPseudonyms(db: GantryDb, rows: readonly NewPseudonymRow[]): Promise<PseudonymRow[]> {
  if (rows.length === 0) return [];
  const ordered = [...rows].sort((left, right) => compare(left.rootRunId, right.rootRunId) || compare(left.valueHash, right.valueHash));
  return db.insert(pseudonyms).values(ordered).onConflictDoNothing().returning();
}

const compare = (left: string, right: string): number => (left < right ? -1 : left > right ? 1 : 0);

/** A run tree's live pseudonyms (at most `limit`). */
export async function listRunPseudonyms(db: GantryDb, rootRunId: string, now: Date, limit: number): Promise<PseudonymRow[]> {
  return db
    .select()
    .from(pseudonyms)
    .where(and(eq(pseudonyms.rootRunId, rootRunId), gt(pseudonyms.expiresAt, now)))
    .limit(limit);
}

/** Deletes pseudonyms past their expiry; returns how many. */
export async function deleteExpiredPseudonyms(db: GantryDb, now: Date): Promise<number> {
  const deleted = await db.delete(pseudonyms).where(lt(pseudonyms.expiresAt, now)).returning({ rootRunId: pseudonyms.rootRunId });
  return deleted.length;
}
