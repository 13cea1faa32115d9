import { and, eq, gt, lt } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { pseudonyms, type NewPseudonymRow, type PseudonymRow } from '../schema/pseudonyms.ts';

/**
 * Stores new pseudonyms, leaving any row another call (or instance) stored first for the same
 * value — or the same placeholder — untouched; returns the rows this call stored.
 */
export async function insertPseudonyms(db: GantryDb, rows: readonly NewPseudonymRow[]): Promise<PseudonymRow[]> {
  if (rows.length === 0) return [];
  return db.insert(pseudonyms).values([...rows]).onConflictDoNothing().returning();
}

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
