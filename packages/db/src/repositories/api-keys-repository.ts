import { and, desc, eq, getTableColumns, inArray, isNull } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { apiKeys, type ApiKey, type NewApiKey } from '../schema/api-keys.ts';

/** An API key as it may be listed: everything but the secret's hash. */
export type ApiKeySummary = Omit<ApiKey, 'secretHash'>;

const { secretHash: _secretHash, ...summaryColumns } = getTableColumns(apiKeys);

/** Inserts one key and returns the stored row. */
export async function insertApiKey(db: GantryDb, row: NewApiKey): Promise<ApiKey> {
  const [inserted] = await db.insert(apiKeys).values(row).returning();
  if (inserted === undefined) throw new Error(`insert of api key ${row.id} returned no row`);
  return inserted;
}

/**
 * The non-revoked keys whose prefix is `prefix` (usually one), with their hash, for authentication.
 * Expiry is not filtered here: the caller checks `expiresAt` so it can say the key expired.
 */
export async function findApiKeysByPrefix(db: GantryDb, prefix: string): Promise<ApiKey[]> {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.prefix, prefix), isNull(apiKeys.revokedAt)));
}

/** Every key, revoked ones included, newest first; never the secret's hash. */
export async function listApiKeys(db: GantryDb): Promise<ApiKeySummary[]> {
  return db
    .select(summaryColumns)
    .from(apiKeys)
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
}

/** Revokes a key. False when no key has this id or it was already revoked. */
export async function revokeApiKey(db: GantryDb, id: string, at: Date = new Date()): Promise<boolean> {
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return revoked.length > 0;
}

/**
 * Sets `last_used_at` on the given keys in one statement (the gateway batches these). Leaves
 * `updated_at` alone: using a key is not editing it.
 */
export async function touchApiKeyLastUsed(
  db: GantryDb,
  ids: readonly string[],
  at: Date = new Date(),
): Promise<void> {
  const uniqueIds = [...new Set(ids)];
  if (uniqueIds.length === 0) return;
  await db
    .update(apiKeys)
    .set({ lastUsedAt: at, updatedAt: apiKeys.updatedAt })
    .where(inArray(apiKeys.id, uniqueIds));
}

/** Updates a key's team, allowed models, limits, expiry, name or metadata; undefined when missing. */
export async function updateApiKey(
  db: GantryDb,
  id: string,
  values: Partial<Pick<NewApiKey, 'name' | 'teamId' | 'allowedModels' | 'limits' | 'metadata' | 'expiresAt'>>,
): Promise<ApiKeySummary | undefined> {
  const [key] = await db.update(apiKeys).set(values).where(eq(apiKeys.id, id)).returning(summaryColumns);
  return key;
}
