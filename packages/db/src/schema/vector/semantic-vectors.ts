import { sql, type SQL } from 'drizzle-orm';
import type { GantryDb } from '../../gantry-db.ts';

/** pgvector's largest `vector`. */
export const MAX_VECTOR_DIMENSIONS = 16_000;
/** pgvector's largest HNSW-indexed `vector`; above it, up to 4,000, the index holds `halfvec`s. */
export const MAX_HNSW_VECTOR_DIMENSIONS = 2_000;
/** pgvector's largest HNSW-indexed `halfvec` (0.7+); above it there is no index, lookups scan. */
export const MAX_HNSW_HALFVEC_DIMENSIONS = 4_000;

/**
 * Fewest dimensions whose signs are indexed where the features say `bitIndex`: the signs of a
 * shorter embedding say too little (16 dimensions have 65,536 sign patterns) to find the nearest.
 */
export const MIN_BIT_INDEX_DIMENSIONS = 256;

/** What the installed pgvector can do, from its version. */
export interface VectorFeatures {
  /** `extversion`, e.g. `0.8.0`. */
  version: string;
  /** `hnsw.iterative_scan` (0.8+): a filtered HNSW scan goes on until enough rows pass the filter. */
  iterativeScan: boolean;
  /** The `halfvec` type and its HNSW operator classes (0.7+). */
  halfvec: boolean;
  /**
   * Index every size as `halfvec` (a native Postgres with 0.7+): half the index pages, so a 100k×512
   * index (143 MB) fits the default 128 MB shared_buffers about as well as the `vector` one
   * (286 MB) fits 1 GB — lookups 6.2 → 4.1 ms p50 there. Not on PGlite: its WebAssembly build
   * computes half-precision distances slowly (searches twice, builds six times as long).
   */
  halfvecIndex: boolean;
  /**
   * Index the signs of embeddings of {@link MIN_BIT_INDEX_DIMENSIONS} dimensions and more instead
   * (`binary_quantize`, 0.7+, Hamming distance; candidates are re-ranked on exact cosine
   * distances): on PGlite, whose WebAssembly build computes float distances slowly. A 512-dimension
   * entry is 64 bytes in the index rather than 2 kB: a 100k×512 index is 39 MB, not 286, and fits
   * the page cache. Lookups there: p50 6.3 → 2.5–3.4 ms (decision 0011).
   */
  bitIndex: boolean;
}

const featuresByDb = new WeakMap<GantryDb, Promise<VectorFeatures>>();

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [actualMajor = 0, actualMinor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}

async function readVectorFeatures(db: GantryDb): Promise<VectorFeatures> {
  const result = await db.execute<{ extversion: string | null; server: string }>(sql`select (select extversion from pg_extension where extname = 'vector') as extversion, version() as server`);
  const version = result.rows[0]?.extversion ?? undefined;
  if (version === undefined) throw new Error('the semantic cache needs the pgvector extension, which this database does not have');
  const halfvec = versionAtLeast(version, 0, 7);
  const embedded = /wasm32|PGlite/.test(result.rows[0]!.server);
  return { version, iterativeScan: versionAtLeast(version, 0, 8), halfvec, halfvecIndex: halfvec && !embedded, bitIndex: halfvec && embedded };
}

/**
 * The installed pgvector's features, read once per database handle (the version cannot change
 * under a running gateway without a restart of the extension's users anyway).
 */
export function vectorFeatures(db: GantryDb): Promise<VectorFeatures> {
  let features = featuresByDb.get(db);
  if (features === undefined) {
    features = readVectorFeatures(db);
    featuresByDb.set(db, features);
    features.catch(() => featuresByDb.delete(db));
  }
  return features;
}

/** Throws a RangeError unless `dimensions` is a whole number pgvector can store. */
export function assertDimensions(dimensions: number): void {
  if (!(Number.isInteger(dimensions) && dimensions >= 1 && dimensions <= MAX_VECTOR_DIMENSIONS)) {
    throw new RangeError(`an embedding must have 1 to ${MAX_VECTOR_DIMENSIONS} dimensions, got ${dimensions}`);
  }
}

/**
 * `embedding` as a `vector` parameter, in pgvector's binary form (int16 dimensions, int16 zero,
 * float4s, big-endian): a quarter of the bytes of the text form, and no float parsing on the
 * server — on PGlite that halves the cost of a lookup's statement. node-postgres sends a Buffer
 * parameter as binary, and the cast makes the server read it with `vector_recv`. Throws a
 * RangeError on an empty or oversized embedding, a component that is not a finite float4, or a
 * zero vector (its cosine distance to anything is NaN, and HNSW cosine indexes leave it out).
 */
export function vectorParameter(embedding: readonly number[]): SQL {
  assertDimensions(embedding.length);
  const bytes = Buffer.allocUnsafe(4 + 4 * embedding.length);
  bytes.writeInt16BE(embedding.length, 0);
  bytes.writeInt16BE(0, 2);
  let squaredNorm = 0;
  for (let index = 0; index < embedding.length; index++) {
    const component = Math.fround(embedding[index] ?? Number.NaN);
    if (!Number.isFinite(component)) throw new RangeError(`embedding[${index}] must be a finite float4, got ${embedding[index]}`);
    squaredNorm += component * component;
    bytes.writeFloatBE(component, 4 + 4 * index);
  }
  if (squaredNorm === 0) throw new RangeError('an embedding must not be the zero vector: its cosine similarity is undefined');
  return sql`${bytes}::vector`;
}

/** How the per-dimension HNSW index holds `embedding`: its expression and operator class. */
export interface IndexedEmbedding {
  type: IndexType;
  /** The indexed expression, e.g. `embedding::vector(512)`; a query orders by it to use the index. */
  column: SQL;
  /** `probe` (a `vector`) cast the same way, to put on the other side of `distance`. */
  cast(probe: SQL): SQL;
  /** The index's distance operator: `<=>` (cosine), `<~>` (Hamming, for `bit`). */
  distance: SQL;
  operatorClass: SQL;
}

/** What the per-dimension HNSW index holds: the embedding, at half precision, or its signs. */
export type IndexType = 'vector' | 'halfvec' | 'bit';

/**
 * The index expression for `dimensions`: the signs as `bit(D)` where the features say `bitIndex`
 * (from {@link MIN_BIT_INDEX_DIMENSIONS} dimensions to any size pgvector stores); else `halfvec(D)`
 * up to 4,000 dimensions where they say `halfvecIndex`; else `vector(D)` up to 2,000 and
 * `halfvec(D)` up to 4,000 where pgvector has it; undefined above (no HNSW index can hold it).
 * Signs and half precision are approximate: lookups re-rank the candidates on the full vectors. `dimensions` is checked and written
 * as a literal: a partial index `where dimensions = D` is used only when the planner sees D itself.
 */
export function indexedEmbedding(dimensions: number, features: VectorFeatures): IndexedEmbedding | undefined {
  assertDimensions(dimensions);
  if (features.bitIndex && dimensions >= MIN_BIT_INDEX_DIMENSIONS) {
    const bits = sql.raw(`bit(${dimensions})`);
    return {
      type: 'bit',
      column: sql`binary_quantize(embedding)::${bits}`,
      cast: (probe) => sql`binary_quantize(${probe})::${bits}`,
      distance: sql.raw('<~>'),
      operatorClass: sql.raw('bit_hamming_ops'),
    };
  }
  const halfvec = dimensions <= MAX_HNSW_HALFVEC_DIMENSIONS && features.halfvec;
  const type = halfvec && (features.halfvecIndex || dimensions > MAX_HNSW_VECTOR_DIMENSIONS) ? 'halfvec' : dimensions <= MAX_HNSW_VECTOR_DIMENSIONS ? 'vector' : undefined;
  if (type === undefined) return undefined;
  const typeWithDimensions = sql.raw(`${type}(${dimensions})`);
  return {
    type,
    column: sql`embedding::${typeWithDimensions}`,
    cast: (probe) => sql`(${probe})::${typeWithDimensions}`,
    distance: sql.raw('<=>'),
    operatorClass: sql.raw(`${type}_cosine_ops`),
  };
}
