import { relations } from 'drizzle-orm';
import { index, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamps, timestamptz } from './columns.ts';
import { newId } from '../new-id.ts';
import type { CallerLimits } from './limits.ts';
import { runs } from './runs.ts';

/** Gateway API keys. Only the sha256 of the secret is stored; the secret is shown once at creation. */
export const apiKeys = pgTable(
  'api_keys',
  {
    /** UUIDv7 from `newId()`, filled in on insert when the row has none. */
    id: text('id').primaryKey().$defaultFn(newId),
    /** Human-readable label. */
    name: text('name').notNull(),
    /** The first 12 characters of the secret: shown to users and used to find candidate keys. */
    prefix: text('prefix').notNull(),
    /** Lower-case hex sha256 of the full secret. */
    secretHash: text('secret_hash').notNull(),
    /** Owning team (`teams.id`); null = no team. */
    teamId: text('team_id'),
    /** Models (aliases or `provider/model`) the key may call; null = any. */
    allowedModels: jsonb('allowed_models').$type<string[]>(),
    /** Rate limits, max parallel requests and run defaults of this key. */
    limits: jsonb('limits').$type<CallerLimits>().notNull().default({}),
    /** Permission scopes granted to the key. */
    scopes: jsonb('scopes').$type<string[]>().notNull().default([]),
    /** Free-form metadata attached by the operator. */
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps,
    /** After this instant the key no longer authenticates; null = never expires. */
    expiresAt: timestamptz('expires_at'),
    /** When the key was revoked; null = active. */
    revokedAt: timestamptz('revoked_at'),
    /** Last successful authentication, written in batches (approximate). */
    lastUsedAt: timestamptz('last_used_at'),
  },
  (table) => [
    uniqueIndex('api_keys_secret_hash_idx').on(table.secretHash),
    index('api_keys_prefix_idx').on(table.prefix),
  ],
);

export const apiKeysRelations = relations(apiKeys, ({ many }) => ({
  runs: many(runs),
}));

/** A row of `api_keys`, including `secretHash`: never send it to a client. */
export type ApiKey = typeof apiKeys.$inferSelect;
/** Values accepted by `insert(apiKeys)`. */
export type NewApiKey = typeof apiKeys.$inferInsert;
