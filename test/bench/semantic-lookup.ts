/**
 * The semantic cache's lookup (`nearestSemanticEntry`) at scale: one partition filled with
 * `--entries` random unit vectors of `--dims` dimensions, other partitions of the same dimension
 * count with a tenth as many between them, the partial HNSW index built, then 400 timed lookups.
 * Half the queries are near a stored entry (cosine ≈ 0.9, as a paraphrase would be), half are
 * fresh draws; both kinds are checked against a brute-force nearest (recall@1). The same queries
 * are timed once per `hnsw.ef_search` (`--ef-search`, comma-separated). Target: p50 ≤ 5 ms at
 * 100k entries.
 *
 * Where the time goes: the round trip of `select 1`, and the index statement alone under
 * `explain (analyze, buffers)` (server time, shared buffers hit and read). `--indexes` rebuilds the
 * HNSW index as each `type:m:ef_construction` in turn (m 16 and ef_construction 64 are pgvector's
 * defaults; `ensureSemanticIndex` builds `bit` on PGlite — the signs, Hamming distance — and
 * `halfvec` on Postgres, the default here; `vector` holds the whole embedding) and times the lookup
 * function on it; `--transaction` also times the lookup as it was before drizzle/vector/0002 (begin, set_configs,
 * statement, commit: four round trips).
 *
 * Uniformly random vectors (the default) are the worst case for HNSW: in 512 dimensions every
 * point is about equally far from every other, and the graph has no neighbourhoods to follow.
 * Real embeddings lie near a low-dimensional surface; `--intrinsic-dims K` draws the vectors from a
 * K-dimensional Gaussian mapped into `--dims` by a fixed random projection, closer to that.
 *
 *   node --import tsx test/bench/semantic-lookup.ts [--entries 100000] [--dims 512] [--ef-search 100,40] [--intrinsic-dims 0]
 *     [--indexes bit:16:64,vector:16:64,halfvec:16:64] [--transaction]
 *
 * In-memory PGlite by default; with DATABASE_URL (a role allowed to create databases) on a
 * scratch database of that server, dropped at the end. Not a test: run it on a quiet machine.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql, type SQL } from 'drizzle-orm';
import {
  createDatabase,
  indexedEmbedding,
  insertSemanticEntries,
  migrate,
  nearestSemanticEntry,
  semanticIndexName,
  vectorFeatures,
  type Database,
  type IndexedEmbedding,
  type IndexType,
  type SemanticEntryInput,
  type VectorFeatures,
} from '@gantry/db';
import { loadConfig } from '@gantry/gateway';
import { percentile } from './load.ts';
import { mulberry32 } from '@gantry/cache/calibration';

const { values: args } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    dims: { type: 'string', default: '512' },
    'ef-search': { type: 'string', default: '100,40' },
    'intrinsic-dims': { type: 'string', default: '0' },
    /** Empty: the index the gateway builds on this database. */
    indexes: { type: 'string', default: '' },
    transaction: { type: 'boolean', default: false },
  },
});
const ENTRIES = Number(args.entries);
const DIMS = Number(args.dims);
/** Each `hnsw.ef_search` to time, comma-separated. */
const EF_SEARCHES = args['ef-search'].split(',').map(Number);
const INTRINSIC_DIMS = Number(args['intrinsic-dims']);
/** An HNSW index to build and time lookups on. */
interface IndexVariant {
  type: IndexType;
  m: number;
  efConstruction: number;
}
const INDEXES: IndexVariant[] = args.indexes === '' ? [] : args.indexes.split(',').map((spec) => {
  const [type, m, efConstruction] = spec.split(':');
  if (type !== 'vector' && type !== 'halfvec' && type !== 'bit') throw new Error(`--indexes: type must be vector, halfvec or bit, got ${spec}`);
  return { type, m: Number(m ?? 16), efConstruction: Number(efConstruction ?? 64) };
});
/** Candidates re-ranked on exact distances, as nearestSemanticEntry takes them from every index type. */
const CANDIDATES = 10;
/** The installed pgvector's features (read once the database is open). */
let features: VectorFeatures;
/** The gateway's index of `type` for DIMS dimensions (`indexedEmbedding`, as ensureSemanticIndex builds it), whichever type this database would get. */
function indexOf(type: IndexType): IndexedEmbedding {
  const indexed = indexedEmbedding(DIMS, { ...features, halfvecIndex: type === 'halfvec', bitIndex: type === 'bit' });
  if (indexed?.type !== type) throw new Error(`--indexes: no ${type} index holds ${DIMS} dimensions on this pgvector`);
  return indexed;
}
const OTHER_PARTITIONS = 9;
const OTHER_ENTRIES = Math.round(ENTRIES / 10);
const LOOKUPS = 400;
const BATCH = 500;
/** Index builds hold the graph in this much memory (pgvector builds slowly once it overflows). */
const BUILD_MEMORY = '512MB';

/** mulberry32: a small seeded generator, so runs fill the same vectors. */
const random = mulberry32(42);

/** A standard normal draw (Box–Muller): normal components make a uniformly random direction. */
function normal(): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const component of vector) norm += component * component;
  norm = Math.sqrt(norm);
  return vector.map((component) => component / norm);
}

function randomUnitVector(): Float32Array {
  return normalize(Float32Array.from({ length: DIMS }, normal));
}

/** Maps a latent draw into DIMS dimensions (row-major DIMS × INTRINSIC_DIMS); unused when 0. */
const projection = Float32Array.from({ length: DIMS * INTRINSIC_DIMS }, normal);

/** A stored entry's or a fresh query's vector: uniform on the sphere, or through the projection. */
function sampleVector(): Float32Array {
  if (INTRINSIC_DIMS === 0) return randomUnitVector();
  const latent = Array.from({ length: INTRINSIC_DIMS }, normal);
  const vector = new Float32Array(DIMS);
  for (let index = 0; index < DIMS; index++) {
    let sum = 0;
    for (let component = 0; component < INTRINSIC_DIMS; component++) sum += projection[index * INTRINSIC_DIMS + component]! * latent[component]!;
    vector[index] = sum;
  }
  return normalize(vector);
}

/** A unit vector at cosine ≈ 0.9 from `base` (a paraphrase, as far as the cache can tell). */
function nearVector(base: Float32Array): Float32Array {
  const noise = randomUnitVector();
  const weight = Math.sqrt(1 / 0.81 - 1);
  return normalize(base.map((component, index) => component + weight * noise[index]!));
}

/** The brute-force nearest of `query` among `count` stored unit vectors (cosine = dot product). */
function bruteForceNearest(stored: Float32Array, count: number, query: Float32Array): number {
  let best = -1;
  let bestDot = -Infinity;
  for (let row = 0; row < count; row++) {
    let dot = 0;
    const offset = row * DIMS;
    for (let index = 0; index < DIMS; index++) dot += stored[offset + index]! * query[index]!;
    if (dot > bestDot) {
      bestDot = dot;
      best = row;
    }
  }
  return best;
}

async function openDatabase(): Promise<{ database: Database; dispose(): Promise<void> }> {
  const adminUrl = process.env['DATABASE_URL'];
  if (adminUrl === undefined || adminUrl === '') {
    // The page cache the gateway gives PGlite when a semantic cache is configured, unless
    // BENCH_PGLITE_SHARED_BUFFERS_MB sets another (database.pglite_shared_buffers_mb).
    const configured = process.env['BENCH_PGLITE_SHARED_BUFFERS_MB'];
    const file = { cache: { semantic: { embedding_model: 'local' } }, ...(configured ? { database: { pglite_shared_buffers_mb: Number(configured) } } : {}) };
    const { pgliteSharedBuffersMb } = loadConfig({ file, env: {} });
    const database = await createDatabase(pgliteSharedBuffersMb === undefined ? {} : { pgliteSharedBuffersMb });
    // PGlite is one session: this holds for the index build too.
    await database.db.execute(sql.raw(`set maintenance_work_mem = '${BUILD_MEMORY}'`));
    return { database, dispose: () => database.close() };
  }
  const name = `gantry_bench_${randomUUID().replaceAll('-', '')}`;
  const admin = async (statement: string) => {
    const server = await createDatabase({ url: adminUrl });
    try {
      await server.db.execute(sql.raw(statement));
    } finally {
      await server.close();
    }
  };
  await admin(`create database "${name}"`);
  await admin(`alter database "${name}" set maintenance_work_mem = '${BUILD_MEMORY}'`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await createDatabase({ url: url.toString(), timeouts: { queryMs: 1_800_000 } });
  return {
    database,
    dispose: async () => {
      await database.close();
      await admin(`drop database if exists "${name}" with (force)`);
    },
  };
}

const now = new Date();
const expiresAt = new Date(now.getTime() + 86_400_000);

function entry(id: string, partitionHash: string, embedding: Float32Array): SemanticEntryInput {
  return { id, scope: 'team:bench', namespace: '', partitionHash, embedding: Array.from(embedding), prompt: `prompt ${id}`, target: 'mock/bench-model', result: { text: id }, costMicros: 100, createdAt: now, expiresAt };
}

async function fill(database: Database, stored: Float32Array): Promise<void> {
  const total = ENTRIES + OTHER_ENTRIES;
  const started = performance.now();
  let batch: SemanticEntryInput[] = [];
  for (let row = 0; row < total; row++) {
    const vector = sampleVector();
    if (row < ENTRIES) {
      stored.set(vector, row * DIMS);
      batch.push(entry(`main-${row}`, 'main', vector));
    } else {
      batch.push(entry(`other-${row}`, `other-${row % OTHER_PARTITIONS}`, vector));
    }
    if (batch.length === BATCH || row === total - 1) {
      await insertSemanticEntries(database.db, batch);
      batch = [];
      if ((row + 1) % 10_000 < BATCH || row === total - 1) {
        console.log(`  inserted ${row + 1} / ${total} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      }
    }
  }
}

interface Query {
  near: boolean;
  vector: Float32Array;
  /** Row of its brute-force nearest stored vector. */
  nearest: number;
}

type Lookup = (vector: Float32Array, efSearch: number) => Promise<string | undefined>;

const format = (value: number) => value.toFixed(2);
const partition = { scope: 'team:bench', namespace: '', partitionHash: 'main' };

/** pgvector's binary form of a vector, as the repository sends it. */
function vectorBytes(vector: Float32Array): Buffer {
  const bytes = Buffer.allocUnsafe(4 + 4 * vector.length);
  bytes.writeInt16BE(vector.length, 0);
  bytes.writeInt16BE(0, 2);
  vector.forEach((component, index) => bytes.writeFloatBE(component, 4 + 4 * index));
  return bytes;
}

/** The lookup as shipped: `nearestSemanticEntry`, which orders by the expression of the index this database gets. */
function shippedLookup(database: Database): Lookup {
  return async (vector, efSearch) => (await nearestSemanticEntry(database.db, { ...partition, embedding: Array.from(vector), now }, { efSearch }))?.id;
}

/** `cache_semantic_nearest` called directly, for an index of another type than the shipped one. */
function functionLookup(database: Database, type: IndexVariant['type']): Lookup {
  return async (vector, efSearch) => {
    const result = await database.db.execute<{ id: string | null }>(sql`select id from ${functionCall(type, vector, efSearch)}`);
    return result.rows[0]?.id ?? undefined;
  };
}

/** `cache_semantic_nearest(…)` for a partition known to be large, as nearestSemanticEntry calls it. */
function functionCall(type: IndexVariant['type'], vector: Float32Array, efSearch: number): SQL {
  return sql`cache_semantic_nearest(${partition.scope}, ${partition.namespace}, ${partition.partitionHash}, ${vectorBytes(vector)}::vector,
    ${now.toISOString()}::timestamptz, null, ${type}, ${efSearch}, true, 100000, ${CANDIDATES})`;
}

/** The index statement, as the function runs it (dimension count and type as literals). */
function indexStatement(type: IndexVariant['type'], vector: Float32Array): SQL {
  const probe = sql`${vectorBytes(vector)}::vector`;
  return sql`
    with candidates as materialized (
      select id, (embedding <=> ${probe})::float8 as distance from cache_semantic_entries
      where scope = ${partition.scope} and namespace = ${partition.namespace} and partition_hash = ${partition.partitionHash}
        and dimensions = ${sql.raw(String(DIMS))} and expires_at > ${now.toISOString()}::timestamptz
      order by ${indexOf(type).column} ${indexOf(type).distance} ${indexOf(type).cast(probe)} limit ${CANDIDATES})
    select id from candidates order by distance limit 1`;
}

function settings(efSearch: number): SQL {
  return sql`select set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', ${String(efSearch)}, true),
    set_config('hnsw.max_scan_tuples', '100000', true), set_config('enable_sort', 'off', true), set_config('jit', 'off', true)`;
}

/** The lookup before drizzle/vector/0002: a transaction of four round trips. */
function transactionLookup(database: Database, type: IndexVariant['type']): Lookup {
  return (vector, efSearch) =>
    database.db.transaction(async (transaction) => {
      await transaction.execute(settings(efSearch));
      const result = await transaction.execute<{ id: string }>(indexStatement(type, vector));
      return result.rows[0]?.id;
    });
}

/**
 * Times each lookup of `lookups` on its own share of the queries (every n-th pair), taking them in turn
 * (so that other load on the machine falls on all alike, and none reads pages another's lookup of
 * the same vector just brought into the cache), after a warm-up on other vectors; checks each
 * answer against brute force.
 */
async function timeLookups(lookups: Record<string, Lookup>, queries: Query[], warmUp: Query[], efSearch: number): Promise<void> {
  const entries = Object.entries(lookups);
  for (const [, lookup] of entries) for (const query of warmUp) await lookup(query.vector, efSearch);
  const latencies = entries.map((): number[] => []);
  const hits = entries.map(() => ({ near: 0, nearCount: 0, fresh: 0, freshCount: 0 }));
  for (const [position, query] of queries.entries()) {
    // Queries alternate near and fresh: deal them out in pairs, so that each lookup gets both kinds.
    const index = Math.floor(position / 2) % entries.length;
    const before = performance.now();
    const found = await entries[index]![1](query.vector, efSearch);
    latencies[index]!.push(performance.now() - before);
    const tally = hits[index]!;
    const hit = found === `main-${query.nearest}` ? 1 : 0;
    if (query.near) {
      tally.near += hit;
      tally.nearCount += 1;
    } else {
      tally.fresh += hit;
      tally.freshCount += 1;
    }
  }
  for (const [index, [label]] of entries.entries()) {
    const times = latencies[index]!;
    const tally = hits[index]!;
    console.log(
      `  ${label}, ef_search ${efSearch}: p50 ${format(percentile(times, 50))} ms, p95 ${format(percentile(times, 95))} ms, p99 ${format(percentile(times, 99))} ms; ` +
        `recall@1 ${tally.near}/${tally.nearCount} near, ${tally.fresh}/${tally.freshCount} fresh`,
    );
  }
}

interface ExplainOutput {
  'Planning Time': number;
  'Execution Time': number;
  Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number };
}

/** Round trip of `select 1`, and the index statement's server time and buffers (explain analyze). */
async function explainLookups(database: Database, type: IndexVariant['type'], queries: Query[], efSearch: number): Promise<void> {
  const roundTrips: number[] = [];
  for (let index = 0; index < 100; index++) {
    const before = performance.now();
    await database.db.execute(sql`select 1`);
    roundTrips.push(performance.now() - before);
  }
  const planning: number[] = [];
  const execution: number[] = [];
  const whole: number[] = [];
  const hit: number[] = [];
  const read: number[] = [];
  for (const query of queries.slice(0, 100)) {
    const [output] = await database.db.transaction(async (transaction) => {
      await transaction.execute(settings(efSearch));
      const result = await transaction.execute<{ 'QUERY PLAN': ExplainOutput[] | string }>(sql`explain (analyze, buffers, format json) ${indexStatement(type, query.vector)}`);
      const plan = result.rows[0]!['QUERY PLAN'];
      return typeof plan === 'string' ? (JSON.parse(plan) as ExplainOutput[]) : plan;
    });
    planning.push(output!['Planning Time']);
    execution.push(output!['Execution Time']);
    hit.push(output!.Plan['Shared Hit Blocks']);
    read.push(output!.Plan['Shared Read Blocks']);
    const call = await database.db.execute<{ 'QUERY PLAN': ExplainOutput[] | string }>(sql`explain (analyze, format json) select * from ${functionCall(type, query.vector, efSearch)}`);
    const plan = call.rows[0]!['QUERY PLAN'];
    const [callOutput] = typeof plan === 'string' ? (JSON.parse(plan) as ExplainOutput[]) : plan;
    whole.push(callOutput!['Execution Time']);
  }
  console.log(
    `  where it goes (ef_search ${efSearch}, p50): round trip ${format(percentile(roundTrips, 50))} ms; index statement planning ${format(percentile(planning, 50))} ms, ` +
      `execution ${format(percentile(execution, 50))} ms (p95 ${format(percentile(execution, 95))}); shared buffers hit ${percentile(hit, 50)}, read ${percentile(read, 50)}; ` +
      `the function, whole ${format(percentile(whole, 50))} ms`,
  );
}

/** Drops every HNSW index on the table, then builds `variant` as the index of DIMS dimensions. */
async function buildIndex(database: Database, variant: IndexVariant): Promise<void> {
  const existing = await database.db.execute<{ indexname: string }>(sql`select indexname from pg_indexes where tablename = 'cache_semantic_entries' and indexdef like '%USING hnsw%'`);
  for (const row of existing.rows) await database.db.execute(sql`drop index ${sql.identifier(row.indexname)}`);
  const started = performance.now();
  // ensureSemanticIndex builds the same expression with pgvector's defaults (m 16, ef_construction
  // 64), once per database: written out here so that each variant is built afresh.
  const indexed = indexOf(variant.type);
  await database.db.execute(sql`
    create index ${sql.identifier(semanticIndexName(DIMS, variant.type))} on cache_semantic_entries
    using hnsw ((${indexed.column}) ${indexed.operatorClass}) with (m = ${sql.raw(String(variant.m))}, ef_construction = ${sql.raw(String(variant.efConstruction))})
    where dimensions = ${sql.raw(String(DIMS))}`);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const size = await database.db.execute<{ size: string }>(sql`select pg_size_pretty(pg_relation_size(${semanticIndexName(DIMS, variant.type)})) as size`);
  console.log(`${variant.type} m=${variant.m} ef_construction=${variant.efConstruction}: built in ${seconds} s, ${size.rows[0]?.size}`);
}

async function main(): Promise<void> {
  const { database, dispose } = await openDatabase();
  try {
    await migrate(database);
    const shape = INTRINSIC_DIMS === 0 ? 'uniformly random' : `${INTRINSIC_DIMS}-dimensional latent`;
    console.log(`semantic lookup on ${database.kind}: ${ENTRIES} ${shape} entries of ${DIMS} dims in one partition, ${OTHER_ENTRIES} in ${OTHER_PARTITIONS} others`);
    const stored = new Float32Array(ENTRIES * DIMS);
    await fill(database, stored);
    const sizes = await database.db.execute<{ heap: string; shared_buffers: string }>(
      sql`select pg_size_pretty(pg_table_size('cache_semantic_entries')) as heap, current_setting('shared_buffers') as shared_buffers`,
    );
    console.log(`  table ${sizes.rows[0]?.heap}, shared_buffers ${sizes.rows[0]?.shared_buffers}`);

    const draw = (count: number) => Array.from({ length: count }, (_, index): Query => {
      const near = index % 2 === 0;
      const vector = near ? nearVector(stored.subarray(Math.floor(random() * ENTRIES) * DIMS).subarray(0, DIMS)) : sampleVector();
      return { near, vector, nearest: bruteForceNearest(stored, ENTRIES, vector) };
    });
    const queries = draw(LOOKUPS);
    const warmUp = draw(20);
    features = await vectorFeatures(database.db);
    const shipped = indexedEmbedding(DIMS, features)?.type ?? 'vector';
    for (const variant of INDEXES.length > 0 ? INDEXES : [{ type: shipped, m: 16, efConstruction: 64 }]) {
      await buildIndex(database, variant);
      for (const efSearch of EF_SEARCHES) {
        // nearestSemanticEntry orders by the expression of the type this database is given, and uses only an index of that type.
        const lookups: Record<string, Lookup> =
          variant.type === shipped ? { nearestSemanticEntry: shippedLookup(database) } : { cache_semantic_nearest: functionLookup(database, variant.type) };
        if (args.transaction) lookups['transaction of 4 round trips (before)'] = transactionLookup(database, variant.type);
        await timeLookups(lookups, queries, warmUp, efSearch);
        // After the timed lookups: explain's own would warm the cache for them.
        await explainLookups(database, variant.type, queries, efSearch);
      }
    }
  } finally {
    await dispose();
  }
}

await main();
