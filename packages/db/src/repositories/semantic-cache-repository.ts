import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { cacheSemanticEntries, type SemanticObservation } from '../schema/vector/semantic-cache.ts';
import { indexedEmbedding, vectorFeatures, vectorParameter, type IndexType } from '../schema/vector/semantic-vectors.ts';
import { fromStorable, fromStorableText, toStorableJson, toStorableText } from '../storable-text.ts';

/** A semantic cache entry to write. `embedding` is that of `prompt`; its length is the entry's dimension count. */
export interface SemanticEntryInput {
  id: string;
  scope: string;
  namespace: string;
  /** Hex SHA-256 of the canonical request without its last user message. */
  partitionHash: string;
  embedding: number[];
  /** The embedded text. */
  prompt: string;
  /** `provider/model` that gave the answer. */
  target: string;
  /** The answer as a stored chat result (`StoredChatResult`). */
  result: Record<string, unknown>;
  /** What the answer cost, in micro-dollars. */
  costMicros: number;
  createdAt: Date;
  expiresAt: Date;
}

/** The nearest live entry of a partition, as a lookup returns it. */
export interface SemanticNeighbour {
  id: string;
  /** 1 − cosine distance between the query's embedding and the entry's, in [-1, 1]. */
  similarity: number;
  prompt: string;
  target: string;
  result: Record<string, unknown>;
  /** Micro-dollars. */
  costMicros: number;
  /** The entry's labelled lookups, oldest first. */
  observations: SemanticObservation[];
}

/** What to look up: a partition, the query's embedding, and the time entries must outlive. */
export interface SemanticQuery {
  scope: string;
  namespace: string;
  partitionHash: string;
  embedding: number[];
  now: Date;
}

/** Tuning of {@link nearestSemanticEntry}; the defaults suit a gateway. */
export interface SemanticLookupOptions {
  /**
   * Partitions of at most this many rows (of the query's dimension count, live or not) are scanned
   * exactly, in the same statement that counts them; larger ones go through the HNSW index.
   */
  exactScanLimit?: number;
  /**
   * HNSW search breadth (`hnsw.ef_search`, 1–1000, default 40) with iterative scans: more finds
   * the true nearest entry more often among many near-equidistant ones, and costs proportionally
   * more.
   */
  efSearch?: number;
}

/**
 * An exact scan of 1,000 rows of 512 dimensions takes 1.5 ms on Postgres and 3–4 ms on PGlite,
 * under an HNSW lookup in a 100k partition on either (test/bench/semantic-lookup.ts).
 */
const DEFAULT_EXACT_SCAN_LIMIT = 1_000;
/**
 * Candidates taken from the index and re-ranked on exact distances (relaxed order, halfvec, bit).
 * Each costs a heap row read, mostly from outside the page cache: at 100k×512 on PGlite, 40 from a
 * bit index made lookups 2.5 times as slow as 10 (p50 6.3 against 2.5 ms). Both found every
 * paraphrase's entry on structured vectors; 40 found more nearest entries where there was no
 * paraphrase, and on uniformly random vectors (test/bench/semantic-lookup.ts, decision 0011).
 */
const INDEX_CANDIDATES = 10;
/**
 * pgvector's own default. A lookup that misses the true nearest entry costs a cache miss, never a
 * wrong answer (the policy judges the similarity of the entry returned, which is exact); 100
 * doubles the lookup's cost for recall that matters on uniformly random vectors, not on embeddings.
 */
const DEFAULT_EF_SEARCH = 40;
/** Without iterative scans the breadth is all there is: pgvector's maximum. */
const EF_SEARCH_WITHOUT_ITERATIVE_SCAN = 1_000;
/** Index rows an iterative scan may visit before giving up (then the partition is scanned exactly). */
const MAX_SCAN_TUPLES = 100_000;

/** Writes entries (a batch in one statement; ids must be new). */
export async function insertSemanticEntries(db: GantryDb, entries: readonly SemanticEntryInput[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map(
    (entry) => sql`(${toStorableText(entry.id)}, ${toStorableText(entry.scope)}, ${toStorableText(entry.namespace)}, ${toStorableText(entry.partitionHash)},
      ${entry.embedding.length}, ${vectorParameter(entry.embedding)}, ${toStorableText(entry.prompt)}, ${toStorableText(entry.target)},
      ${toStorableJson(JSON.stringify(entry.result))}::jsonb, ${entry.costMicros}, ${entry.createdAt.toISOString()}::timestamptz, ${entry.expiresAt.toISOString()}::timestamptz)`,
  );
  await db.execute(sql`
    insert into cache_semantic_entries (id, scope, namespace, partition_hash, dimensions, embedding, prompt, target, result, cost_micros, created_at, expires_at)
    values ${sql.join(rows, sql`, `)}`);
}

/** Writes one entry (its id must be new). */
export async function insertSemanticEntry(db: GantryDb, entry: SemanticEntryInput): Promise<void> {
  await insertSemanticEntries(db, [entry]);
}

type NeighbourRow = {
  /** The partition's rows counted up to the exact-scan limit + 1; null when the count was skipped. */
  partition_size: number | null;
  /** Null when the partition has no live entry. */
  id: string | null;
  distance: number;
  prompt: string;
  target: string;
  result: Record<string, unknown>;
  cost_micros: string | number;
  observations: SemanticObservation[];
};

function toNeighbour(row: NeighbourRow | undefined): SemanticNeighbour | undefined {
  if (row === undefined || row.id === null) return undefined;
  return {
    id: fromStorableText(row.id),
    similarity: 1 - Number(row.distance),
    prompt: fromStorableText(row.prompt),
    target: fromStorableText(row.target),
    result: fromStorable(row.result),
    costMicros: Number(row.cost_micros),
    observations: row.observations,
  };
}

/** What {@link lookUp} needs besides the query. */
interface LookupPlan {
  /** Null to skip the count: the partition is known to be larger than the limit. */
  exactScanLimit: number | null;
  indexType: IndexType | null;
  iterativeScan: boolean;
  efSearch: number;
}

/**
 * The lookup in one round trip, through `cache_semantic_nearest` (drizzle/vector/0002): counts the
 * partition up to `exactScanLimit + 1` rows and scans it exactly when it holds no more; otherwise
 * walks the partial HNSW index for {@link INDEX_CANDIDATES} rows by approximate distance that pass
 * the filter (the partition's live rows), re-ranked on exact distances — with iterative scans
 * (pgvector 0.8+) the index is walked until enough rows pass, without it yields at most
 * `ef_search`, which the filter may empty — and scans exactly when none passed. One statement, where
 * it was a transaction of four: the index search needs `set local`s before it is planned, which the
 * function does between its statements.
 */
async function lookUp(db: GantryDb, query: SemanticQuery, probe: SQL, plan: LookupPlan): Promise<NeighbourRow | undefined> {
  const result = await db.execute<NeighbourRow>(sql`
    select * from cache_semantic_nearest(${toStorableText(query.scope)}, ${toStorableText(query.namespace)}, ${toStorableText(query.partitionHash)},
      ${probe}, ${query.now.toISOString()}::timestamptz, ${plan.exactScanLimit}::integer, ${plan.indexType}::text,
      ${plan.iterativeScan ? plan.efSearch : EF_SEARCH_WITHOUT_ITERATIVE_SCAN}::integer, ${plan.iterativeScan}::boolean, ${MAX_SCAN_TUPLES}::integer, ${INDEX_CANDIDATES}::integer)`);
  return result.rows[0];
}

/**
 * Partitions found larger than the exact-scan limit, by database handle, with when that was seen:
 * their lookups skip the count (on PGlite 1.5 ms for 1,000 rows) for {@link LARGE_PARTITION_TTL_MS}.
 * A partition that shrank meanwhile is still answered, through the index.
 */
const largePartitions = new WeakMap<GantryDb, Map<string, number>>();
const LARGE_PARTITION_TTL_MS = 60_000;
const MAX_LARGE_PARTITIONS = 10_000;

function partitionKey(query: SemanticQuery, limit: number): string {
  return JSON.stringify([query.scope, query.namespace, query.partitionHash, query.embedding.length, limit]);
}

function isKnownLarge(db: GantryDb, key: string, now: number): boolean {
  const seen = largePartitions.get(db)?.get(key);
  return seen !== undefined && now - seen < LARGE_PARTITION_TTL_MS;
}

function rememberLarge(db: GantryDb, key: string, now: number): void {
  let known = largePartitions.get(db);
  if (known === undefined) {
    known = new Map();
    largePartitions.set(db, known);
  }
  known.delete(key);
  known.set(key, now);
  // Maps iterate in insertion order: the first key is the one seen longest ago.
  if (known.size > MAX_LARGE_PARTITIONS) known.delete(known.keys().next().value ?? key);
}

/**
 * The live entry of the query's partition (same scope, namespace, partition hash and dimension
 * count) nearest to `embedding` by cosine distance, or undefined when the partition has none.
 * Small partitions are scanned exactly; large ones go through the HNSW index of their dimension
 * count ({@link ensureSemanticIndex}; without it they are scanned too), which finds the nearest
 * entry with high probability rather than certainty. Throws a RangeError on an embedding that
 * cannot be compared (empty, non-finite, zero).
 */
export async function nearestSemanticEntry(db: GantryDb, query: SemanticQuery, options: SemanticLookupOptions = {}): Promise<SemanticNeighbour | undefined> {
  const probe = vectorParameter(query.embedding);
  const limit = options.exactScanLimit ?? DEFAULT_EXACT_SCAN_LIMIT;
  if (!(Number.isInteger(limit) && limit >= 0)) throw new RangeError(`exactScanLimit must be a whole number, got ${limit}`);
  const efSearch = options.efSearch ?? DEFAULT_EF_SEARCH;
  if (!(Number.isInteger(efSearch) && efSearch >= 1 && efSearch <= 1_000)) throw new RangeError(`efSearch must be an integer from 1 to 1000, got ${efSearch}`);
  const features = await vectorFeatures(db);
  const key = partitionKey(query, limit);
  const checkedAt = Date.now();
  const knownLarge = isKnownLarge(db, key, checkedAt);
  const row = await lookUp(db, query, probe, {
    exactScanLimit: knownLarge ? null : limit,
    // The type the index of this size casts embeddings to (see ensureSemanticIndex), or null when none can hold them.
    indexType: indexedEmbedding(query.embedding.length, features)?.type ?? null,
    iterativeScan: features.iterativeScan,
    efSearch,
  });
  if (!knownLarge && row !== undefined && row.partition_size !== null && row.partition_size > limit) rememberLarge(db, key, checkedAt);
  return toNeighbour(row);
}

/**
 * Appends `observation` to an entry's observations, keeping the most recent `max`, in one
 * statement: concurrent appends from any number of instances are applied one after another on
 * the row, none lost. Nothing happens when the entry is gone (swept or deleted meanwhile).
 */
export async function addSemanticObservation(db: GantryDb, id: string, observation: SemanticObservation, max: number): Promise<void> {
  if (!(Number.isFinite(observation.similarity) && observation.similarity >= -1 && observation.similarity <= 1)) {
    throw new RangeError(`observation.similarity must be a cosine similarity in [-1, 1], got ${observation.similarity}`);
  }
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
  const appended = JSON.stringify([{ similarity: observation.similarity, correct: observation.correct === true }]);
  await db.execute(sql`
    update cache_semantic_entries as entry set observations = (
      select coalesce(jsonb_agg(kept.item order by kept.position), '[]'::jsonb)
      from jsonb_array_elements(entry.observations || ${appended}::jsonb) with ordinality as kept(item, position)
      where kept.position > jsonb_array_length(entry.observations) + 1 - ${max}
    )
    where entry.id = ${toStorableText(id)}`);
}

/** Which entries to delete: a namespace, a scope, or both at once. */
export interface SemanticSelection {
  namespace?: string;
  scope?: string;
}

/** Deletes the selected entries; returns how many there were. At least one field must be set. */
export async function deleteSemanticEntries(db: GantryDb, selection: SemanticSelection): Promise<number> {
  const conditions: SQL[] = [];
  if (selection.namespace !== undefined) conditions.push(eq(cacheSemanticEntries.namespace, toStorableText(selection.namespace)));
  if (selection.scope !== undefined) conditions.push(eq(cacheSemanticEntries.scope, toStorableText(selection.scope)));
  if (conditions.length === 0) throw new Error('deleteSemanticEntries needs a namespace or a scope');
  const deleted = await db.delete(cacheSemanticEntries).where(and(...conditions)).returning({ id: cacheSemanticEntries.id });
  return deleted.length;
}

/** Deletes up to `limit` entries expired at `now` (oldest first); returns how many. Safe from any number of instances. */
export async function sweepExpiredSemanticEntries(db: GantryDb, now: Date, limit: number): Promise<number> {
  const result = await db.execute<{ id: string }>(sql`
    delete from cache_semantic_entries where id in (
      select id from cache_semantic_entries where expires_at <= ${now.toISOString()}::timestamptz order by expires_at limit ${limit} for update skip locked
    ) returning id`);
  return result.rows.length;
}
