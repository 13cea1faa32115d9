import { sql } from 'drizzle-orm';
import type { Database } from '../../create-database.ts';
import { getDatabaseInternals } from '../../database-internals.ts';
import type { GantryDb } from '../../gantry-db.ts';
import { assertDimensions, indexedEmbedding, MAX_HNSW_VECTOR_DIMENSIONS, vectorFeatures, type IndexType } from './semantic-vectors.ts';

/**
 * The name of the HNSW index over the entries of `dimensions` dimensions. A `halfvec` index of up to
 * 2,000 dimensions (Postgres) has a name of its own, so that a database whose `vector` index of the
 * same size predates it gets the new one built rather than kept unused.
 */
export function semanticIndexName(dimensions: number, type: IndexType = 'vector'): string {
  if (type === 'bit') return `cache_semantic_entries_hnsw_${dimensions}_bit_idx`;
  return type === 'halfvec' && dimensions <= MAX_HNSW_VECTOR_DIMENSIONS ? `cache_semantic_entries_hnsw_${dimensions}_halfvec_idx` : `cache_semantic_entries_hnsw_${dimensions}_idx`;
}

const ensuredByDatabase = new WeakMap<Database, Map<number, Promise<boolean>>>();

/** SQLSTATEs of a relation created by someone else between our check and our create. */
const DUPLICATE_CODES = new Set(['42P07', '23505']);

function isDuplicateRelation(error: unknown): boolean {
  const candidate = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = candidate?.code ?? candidate?.cause?.code;
  return typeof code === 'string' && DUPLICATE_CODES.has(code);
}

async function createSemanticIndex(db: GantryDb, dimensions: number): Promise<boolean> {
  const indexed = indexedEmbedding(dimensions, await vectorFeatures(db));
  if (indexed === undefined) return false;
  try {
    await db.execute(sql`
      create index if not exists ${sql.identifier(semanticIndexName(dimensions, indexed.type))} on cache_semantic_entries
      using hnsw ((${indexed.column}) ${indexed.operatorClass}) where dimensions = ${sql.raw(String(dimensions))}`);
  } catch (error) {
    // Another creator that does not take the migration lock (an operator, an older Gantry) won the race.
    if (!isDuplicateRelation(error)) throw error;
  }
  // A data folder from before bit indexes has a vector index of this size that no lookup uses any
  // more, and that every cache write would still pay to insert into.
  if (indexed.type === 'bit') await db.execute(sql`drop index if exists ${sql.identifier(semanticIndexName(dimensions, 'vector'))}`);
  return true;
}

/**
 * Makes sure the partial HNSW index for embeddings of `dimensions` dimensions exists
 * (`using hnsw ((embedding::vector(D)) vector_cosine_ops) where dimensions = D`; `halfvec(D)` on
 * Postgres, and from 2,001 to 4,000 dimensions everywhere; the signs as `bit(D)` on PGlite: see `indexedEmbedding`). Returns false when no HNSW index can hold that many dimensions
 * (lookups then scan the partition exactly), true once the index exists.
 *
 * Call it when an embedder's dimension count becomes known (at start), before its entries pile up:
 * building over existing rows holds writes to the table back for as long as the build takes.
 * Takes the {@link Database} rather than a drizzle handle because it runs on the migration
 * connection: no statement timeout (a build over many rows may take minutes) and the migration
 * lock, so that instances starting together build it once, one after another finding it there.
 * Memoized per database and dimension count: cheap to call again.
 */
export function ensureSemanticIndex(database: Database, dimensions: number): Promise<boolean> {
  assertDimensions(dimensions);
  if (!database.hasVector) {
    return Promise.reject(new Error('the semantic cache needs pgvector: run migrate() on a database that has the extension'));
  }
  let ensured = ensuredByDatabase.get(database);
  if (ensured === undefined) {
    ensured = new Map();
    ensuredByDatabase.set(database, ensured);
  }
  let result = ensured.get(dimensions);
  if (result === undefined) {
    result = getDatabaseInternals(database).runMigrations((session) => createSemanticIndex(session.db, dimensions));
    ensured.set(dimensions, result);
    const memo = ensured;
    result.catch(() => memo.delete(dimensions));
  }
  return result;
}
