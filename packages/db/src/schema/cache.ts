import { bigint, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/**
 * The response cache (`@gantry/cache`): one answer per (scope, namespace, key). The key is a hash
 * of everything that changes the answer (targets, messages, tools, sampling, …); the scope says
 * who may be served it (`team:<id>`, `key:<id>` or `global`), the namespace is the client's own
 * partition (`x-gantry-cache-namespace`). Rows past `expires_at` are never served and are swept.
 */
export const cacheEntries = pgTable(
  'cache_entries',
  {
    id: text('id').primaryKey(),
    scope: text('scope').notNull(),
    namespace: text('namespace').notNull().default(''),
    /** Hex SHA-256 of the canonical request (`x-gantry-cache-key` on the answer). */
    keyHash: text('key_hash').notNull(),
    /** `provider/model` that gave the answer. */
    target: text('target').notNull(),
    /** The answer as a stored chat result (`StoredChatResult`). */
    result: jsonb('result').$type<Record<string, unknown>>().notNull(),
    /** What the answer cost when it was bought: a hit saves this much. */
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull().default(0),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
    hits: integer('hits').notNull().default(0),
    lastHitAt: timestamptz('last_hit_at'),
  },
  (table) => [uniqueIndex('cache_entries_key_idx').on(table.scope, table.namespace, table.keyHash), index('cache_entries_expires_at_idx').on(table.expiresAt)],
);

export type CacheEntryRow = typeof cacheEntries.$inferSelect;
export type NewCacheEntryRow = typeof cacheEntries.$inferInsert;
