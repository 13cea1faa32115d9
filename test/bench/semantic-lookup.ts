/**
 * The semantic cache's lookup (`nearestSemanticEntry`) at scale: one partition filled with
 * `--entries` random unit vectors of `--dims` dimensions, other partitions of the same dimension
 * count with a tenth as many between them, the partial HNSW index built, then 200 timed lookups.
 * Half the queries are near a stored entry (cosine ≈ 0.9, as a paraphrase would be), half are
 * fresh draws; both kinds are checked against a brute-force nearest (recall@1). The same queries
 * are timed once per `hnsw.ef_search` (`--ef-search`, comma-separated). Target: p50 ≤ 5 ms at
 * 100k entries.
 *
 * Uniformly random vectors (the default) are the worst case for HNSW: in 512 dimensions every
 * point is about equally far from every other, and the graph has no neighbourhoods to follow.
 * Real embeddings lie near a low-dimensional surface; `--intrinsic-dims K` draws the vectors from a
 * K-dimensional Gaussian mapped into `--dims` by a fixed random projection, closer to that.
 *
 *   node --import tsx test/bench/semantic-lookup.ts [--entries 100000] [--dims 512] [--ef-search 100,40] [--intrinsic-dims 0]
 *
 * In-memory PGlite by default; with DATABASE_URL (a role allowed to create databases) on a
 * scratch database of that server, dropped at the end. Not a test: run it on a quiet machine.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { createDatabase, ensureSemanticIndex, insertSemanticEntries, migrate, nearestSemanticEntry, type Database, type SemanticEntryInput } from '@gantry/db';
import { percentile } from './load.ts';
import { mulberry32 } from '@gantry/cache/calibration';

const { values: args } = parseArgs({ options: { entries: { type: 'string', default: '100000' }, dims: { type: 'string', default: '512' }, 'ef-search': { type: 'string', default: '100,40' }, 'intrinsic-dims': { type: 'string', default: '0' } } });
const ENTRIES = Number(args.entries);
const DIMS = Number(args.dims);
/** Each `hnsw.ef_search` to time, comma-separated. */
const EF_SEARCHES = args['ef-search'].split(',').map(Number);
const INTRINSIC_DIMS = Number(args['intrinsic-dims']);
const OTHER_PARTITIONS = 9;
const OTHER_ENTRIES = Math.round(ENTRIES / 10);
const LOOKUPS = 200;
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
    const database = await createDatabase({});
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
  const database = await createDatabase({ url: url.toString(), timeouts: { queryMs: 120_000 } });
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
}

/** Warms up, then times each query's lookup once and checks its answer against brute force. */
async function timeLookups(database: Database, stored: Float32Array, queries: Query[], efSearch: number): Promise<void> {
  const lookup = (vector: Float32Array) =>
    nearestSemanticEntry(database.db, { scope: 'team:bench', namespace: '', partitionHash: 'main', embedding: Array.from(vector), now }, { efSearch });
  for (const query of queries.slice(0, 20)) await lookup(query.vector);
  const latencies: number[] = [];
  const found: (string | undefined)[] = [];
  for (const query of queries) {
    const before = performance.now();
    const neighbour = await lookup(query.vector);
    latencies.push(performance.now() - before);
    found.push(neighbour?.id);
  }
  const format = (value: number) => value.toFixed(2);
  const recall = [true, false].map((near) => {
    const indexes = queries.flatMap((query, index) => (query.near === near ? [index] : []));
    const hits = indexes.filter((index) => found[index] === `main-${bruteForceNearest(stored, ENTRIES, queries[index]!.vector)}`).length;
    return `${hits}/${indexes.length} ${near ? 'near' : 'fresh'}`;
  });
  console.log(`  ef_search ${efSearch}: ${queries.length} lookups, p50 ${format(percentile(latencies, 50))} ms, p95 ${format(percentile(latencies, 95))} ms, p99 ${format(percentile(latencies, 99))} ms; recall@1 ${recall.join(', ')}`);
}

async function main(): Promise<void> {
  const { database, dispose } = await openDatabase();
  try {
    await migrate(database);
    const shape = INTRINSIC_DIMS === 0 ? 'uniformly random' : `${INTRINSIC_DIMS}-dimensional latent`;
    console.log(`semantic lookup on ${database.kind}: ${ENTRIES} ${shape} entries of ${DIMS} dims in one partition, ${OTHER_ENTRIES} in ${OTHER_PARTITIONS} others`);
    const stored = new Float32Array(ENTRIES * DIMS);
    await fill(database, stored);
    const started = performance.now();
    await ensureSemanticIndex(database, DIMS);
    console.log(`  HNSW index built in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const queries: Query[] = Array.from({ length: LOOKUPS }, (_, index) => {
      const near = index % 2 === 0;
      return { near, vector: near ? nearVector(stored.subarray(Math.floor(random() * ENTRIES) * DIMS).subarray(0, DIMS)) : sampleVector() };
    });
    for (const efSearch of EF_SEARCHES) await timeLookups(database, stored, queries, efSearch);
  } finally {
    await dispose();
  }
}

await main();
