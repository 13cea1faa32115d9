import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { cacheCalibrations, type CacheCalibrationRow, type NewCacheCalibrationRow } from '../schema/cache-calibrations.ts';
import { fromStorable, toStorableText } from '../storable-text.ts';

/**
 * Stores one calibration and returns it as stored (with its `created_at`). Its free text (source,
 * model) goes through storable-text, so a NUL or a lone surrogate there cannot fail the insert.
 */
export async function insertCacheCalibration(db: GantryDb, row: NewCacheCalibrationRow): Promise<CacheCalibrationRow> {
  const storable = { ...row, source: toStorableText(row.source), model: toStorableText(row.model) };
  const [inserted] = await db.insert(cacheCalibrations).values(storable).returning();
  return fromStorable(inserted!);
}

/** Calibrations of an owner (every owner's for undefined: the master key), newest first. */
export async function listCacheCalibrations(db: GantryDb, owner: string | undefined, limit: number): Promise<CacheCalibrationRow[]> {
  const rows = await db
    .select()
    .from(cacheCalibrations)
    .where(owner === undefined ? undefined : eq(cacheCalibrations.owner, owner))
    .orderBy(desc(cacheCalibrations.createdAt), desc(cacheCalibrations.id))
    .limit(limit);
  return fromStorable(rows);
}

/**
 * The calibration `id` if `owner` may see it (any owner's for undefined), else undefined: another
 * team's calibration is as missing as one that never existed.
 */
export async function getCacheCalibration(db: GantryDb, id: string, owner: string | undefined): Promise<CacheCalibrationRow | undefined> {
  const conditions: SQL[] = [eq(cacheCalibrations.id, toStorableText(id))];
  if (owner !== undefined) conditions.push(eq(cacheCalibrations.owner, owner));
  const [row] = await db.select().from(cacheCalibrations).where(and(...conditions)).limit(1);
  return row === undefined ? undefined : fromStorable(row);
}
