import { sql } from 'drizzle-orm';
import { bigint, check, customType, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from '../columns.ts';

/**
 * A pgvector `vector` column without a fixed dimension: embedders differ (384, 1536, 3072, …), and
 * one table holds them all. drizzle's `vector()` needs a dimension, hence this type. Lookups and
 * the per-dimension HNSW indexes cast it to `vector(D)` (see the semantic cache repository).
 */
const undimensionedVector = customType<{ data: number[]; driverData: string }>({
  dataType: () => 'vector',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => JSON.parse(value) as number[],
});

/** One labelled lookup of a semantic entry: was its answer right for a prompt at this similarity? */
export interface SemanticObservation {
  /** Cosine similarity of the prompt's embedding to the entry's, in [-1, 1]. */
  similarity: number;
  /** Whether the entry's cached answer would have been right for that prompt. */
  correct: boolean;
}

/**
 * The semantic cache: answers found by the nearest embedding of the last user message within a
 * partition — (scope, namespace, partition_hash), the hash being of everything in the request but
 * that message — and served or not by a per-entry policy learned from `observations`. Rows past
 * `expires_at` are never served and are swept. HNSW indexes are partial, one per dimension count,
 * created at run time (`ensureSemanticIndex`), not here.
 */
export const cacheSemanticEntries = pgTable(
  'cache_semantic_entries',
  {
    id: text('id').primaryKey(),
    /** Who may be served the entry: `team:<id>`, `key:<id>`, `global` or `master`. */
    scope: text('scope').notNull(),
    /** The client's own partition (`x-gantry-cache-namespace`). */
    namespace: text('namespace').notNull().default(''),
    /** Hex SHA-256 of the canonical request without its last user message. */
    partitionHash: text('partition_hash').notNull(),
    /** Number of components of `embedding` (checked); selects the HNSW index. */
    dimensions: integer('dimensions').notNull(),
    /** Embedding of `prompt`. */
    embedding: undimensionedVector('embedding').notNull(),
    /** The embedded text (the last user message), kept for calibration and debugging. */
    prompt: text('prompt').notNull(),
    /** `provider/model` that gave the answer. */
    target: text('target').notNull(),
    /** The answer as a stored chat result (`StoredChatResult`). */
    result: jsonb('result').$type<Record<string, unknown>>().notNull(),
    /** What the answer cost when it was bought, in micro-dollars: a hit saves this much. */
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull().default(0),
    /** The most recent labelled lookups, oldest first. */
    observations: jsonb('observations').$type<SemanticObservation[]>().notNull().default(sql`'[]'::jsonb`),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
  },
  (table) => [
    index('cache_semantic_entries_partition_idx').on(table.scope, table.namespace, table.partitionHash, table.dimensions),
    index('cache_semantic_entries_expires_at_idx').on(table.expiresAt),
    // The per-dimension index casts `embedding` to vector(dimensions): a mismatch would fail there.
    check('cache_semantic_entries_dimensions_check', sql`vector_dims(${table.embedding}) = ${table.dimensions}`),
  ],
);

export type SemanticEntryRow = typeof cacheSemanticEntries.$inferSelect;
