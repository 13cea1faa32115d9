import { and, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { cacheEntries, type CacheEntryRow } from '../schema/cache.ts';
import { updateInIdOrder } from './json-rows.ts';
import { fromStorable, toStorableJson } from '../storable-text.ts';

/** Where a cached answer lives: who may be served it, the client's namespace, and the request's hash. */
export interface CacheAddress {
  scope: string;
  namespace: string;
  keyHash: string;
}

/** A cached answer as a lookup returns it. */
export type CachedAnswer = Pick<CacheEntryRow, 'id' | 'target' | 'result' | 'costMicros' | 'createdAt' | 'expiresAt'>;

/** The live entry at `address`, or undefined (none, or expired at `now`). One indexed probe. */
export async function findCacheEntry(db: GantryDb, address: CacheAddress, now: Date): Promise<CachedAnswer | undefined> {
  const [row] = await db
    .select({ id: cacheEntries.id, target: cacheEntries.target, result: cacheEntries.result, costMicros: cacheEntries.costMicros, createdAt: cacheEntries.createdAt, expiresAt: cacheEntries.expiresAt })
    .from(cacheEntries)
    .where(and(eq(cacheEntries.scope, address.scope), eq(cacheEntries.namespace, address.namespace), eq(cacheEntries.keyHash, address.keyHash), gt(cacheEntries.expiresAt, now)))
    .limit(1);
  return row === undefined ? undefined : { ...row, result: fromStorable(row.result) };
}

export interface NewCacheEntry extends CacheAddress {
  id: string;
  target: string;
  result: Record<string, unknown>;
  costMicros: number;
  createdAt: Date;
  expiresAt: Date;
}

/** Writes an answer at its address, replacing what was there (a refresh, or an expired entry). */
export async function upsertCacheEntry(db: GantryDb, entry: NewCacheEntry): Promise<void> {
  const result = sql`${toStorableJson(JSON.stringify(entry.result))}::jsonb`;
  await db
    .insert(cacheEntries)
    .values({ id: entry.id, scope: entry.scope, namespace: entry.namespace, keyHash: entry.keyHash, target: entry.target, result: result as unknown as Record<string, unknown>, costMicros: entry.costMicros, createdAt: entry.createdAt, expiresAt: entry.expiresAt })
    .onConflictDoUpdate({
      target: [cacheEntries.scope, cacheEntries.namespace, cacheEntries.keyHash],
      set: { id: entry.id, target: entry.target, result: result as unknown as Record<string, unknown>, costMicros: entry.costMicros, createdAt: entry.createdAt, expiresAt: entry.expiresAt, hits: 0, lastHitAt: null },
    });
}

/** Adds served-hit counts to entries (collected in memory, written in one statement). */
export async function addCacheHits(db: GantryDb, hits: ReadonlyMap<string, { count: number; at: Date }>): Promise<void> {
  if (hits.size === 0) return;
  const rows = JSON.stringify([...hits].map(([id, hit]) => ({ id, count: hit.count, at: hit.at.toISOString() })));
  await db.execute(
    updateInIdOrder(
      cacheEntries,
      sql`json_to_recordset(${rows}::json) as v(id text, count integer, at timestamptz)`,
      sql`hits = cache_entries.hits + v.count, last_hit_at = greatest(cache_entries.last_hit_at, v.at)`,
    ),
  );
}

/** Which entries to delete: by the request's hash, a namespace, a scope, or several of these at once. */
export interface CacheSelection {
  keyHash?: string;
  namespace?: string;
  scope?: string;
}

/** Deletes the selected entries; returns how many there were. At least one field must be set. */
export async function deleteCacheEntries(db: GantryDb, selection: CacheSelection): Promise<number> {
  const conditions: SQL[] = [];
  if (selection.keyHash !== undefined) conditions.push(eq(cacheEntries.keyHash, selection.keyHash));
  if (selection.namespace !== undefined) conditions.push(eq(cacheEntries.namespace, selection.namespace));
  if (selection.scope !== undefined) conditions.push(eq(cacheEntries.scope, selection.scope));
  if (conditions.length === 0) throw new Error('deleteCacheEntries needs a key, a namespace or a scope');
  const deleted = await db.delete(cacheEntries).where(and(...conditions)).returning({ id: cacheEntries.id });
  return deleted.length;
}

/** Deletes up to `limit` entries expired at `now` (oldest first); returns how many. Safe from any number of instances. */
export async function sweepExpiredCacheEntries(db: GantryDb, now: Date, limit: number): Promise<number> {
  const result = await db.execute<{ id: string }>(sql`
    delete from cache_entries where id in (
      select id from cache_entries where expires_at <= ${now} order by expires_at limit ${limit} for update skip locked
    ) returning id`);
  return result.rows.length;
}
