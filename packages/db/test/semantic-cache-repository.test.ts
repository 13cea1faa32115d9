import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addSemanticObservation,
  deleteSemanticEntries,
  ensureSemanticIndex,
  insertSemanticEntries,
  insertSemanticEntry,
  migrate,
  nearestSemanticEntry,
  semanticIndexName,
  sweepExpiredSemanticEntries,
  type Database,
  type SemanticEntryInput,
  type SemanticQuery,
} from '../src/index.ts';
import { databaseTargets, type DatabaseTarget } from './test-databases.ts';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const LATER = new Date('2030-01-02T00:00:00.000Z');
const EARLIER = new Date('2029-12-31T00:00:00.000Z');
/**
 * Lookups forced through the exact scan, and through the HNSW index; the latter at ef_search 100,
 * where random 64-d probes miss their true nearest about 1.5% of the time (6.5% at the default 40),
 * so that the recall bound below does not flake.
 */
const EXACT = { exactScanLimit: 1_000_000 };
const INDEXED = { exactScanLimit: 0, efSearch: 100 };

/** mulberry32: seeded, so a failure reproduces. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = seededRandom(7);

function unitVector(dimensions: number): number[] {
  const vector = Array.from({ length: dimensions }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
  const norm = Math.hypot(...vector);
  return vector.map((component) => Math.fround(component / norm));
}

/** A unit vector at cosine ≈ 0.9 from `base`, as a paraphrase's embedding would be. */
function nearVector(base: number[]): number[] {
  const noise = unitVector(base.length);
  const weight = Math.sqrt(1 / 0.81 - 1);
  const sum = base.map((component, index) => component + weight * noise[index]!);
  const norm = Math.hypot(...sum);
  return sum.map((component) => Math.fround(component / norm));
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  a.forEach((component, index) => {
    dot += component * b[index]!;
    normA += component * component;
    normB += b[index]! * b[index]!;
  });
  return dot / Math.sqrt(normA * normB);
}

let ids = 0;
function entry(overrides: Partial<SemanticEntryInput> & { embedding: number[] }): SemanticEntryInput {
  ids += 1;
  return { id: `sem_${ids}`, scope: 'team:a', namespace: '', partitionHash: 'p', prompt: `prompt ${ids}`, target: 'mock/model', result: { text: `answer ${ids}` }, costMicros: 100, createdAt: NOW, expiresAt: LATER, ...overrides };
}

describe.each(databaseTargets)('semantic cache repository on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
    expect(database.hasVector).toBe(true);
  });
  afterAll(async () => {
    await scratch.tearDown();
  });

  const query = (embedding: number[], overrides: Partial<SemanticQuery> = {}): SemanticQuery => ({ scope: 'team:a', namespace: '', partitionHash: 'p', embedding, now: NOW, ...overrides });

  it('finds the nearest live entry of its partition only, exactly and through the index', async () => {
    const wanted = unitVector(8);
    const probe = nearVector(wanted);
    const nearest = entry({ partitionHash: 'isolation', embedding: wanted });
    await insertSemanticEntries(database.db, [
      nearest,
      entry({ partitionHash: 'isolation', embedding: unitVector(8) }),
      // Each of these is nearer (the probe itself) but must never be returned.
      entry({ partitionHash: 'isolation', embedding: probe, expiresAt: NOW }),
      entry({ partitionHash: 'isolation', embedding: probe, scope: 'team:b' }),
      entry({ partitionHash: 'isolation', embedding: probe, namespace: 'other' }),
      entry({ partitionHash: 'isolation-other', embedding: probe }),
      entry({ partitionHash: 'isolation', embedding: [...probe, 0.001] }),
    ]);
    expect(await ensureSemanticIndex(database, 8)).toBe(true);

    for (const options of [EXACT, INDEXED]) {
      const found = await nearestSemanticEntry(database.db, query(probe, { partitionHash: 'isolation' }), options);
      expect(found?.id).toBe(nearest.id);
      expect(found?.similarity).toBeCloseTo(cosine(probe, wanted), 5);
      expect(found).toMatchObject({ prompt: nearest.prompt, target: 'mock/model', result: nearest.result, costMicros: 100, observations: [] });
      expect(await nearestSemanticEntry(database.db, query(probe, { partitionHash: 'isolation', now: LATER }), options)).toBeUndefined();
      expect(await nearestSemanticEntry(database.db, query(probe, { partitionHash: 'nothing here' }), options)).toBeUndefined();
    }
    const nineDimensional = await nearestSemanticEntry(database.db, query([...probe, 0.001], { partitionHash: 'isolation' }));
    expect(nineDimensional?.similarity).toBeCloseTo(1, 5);
  });

  it('stores text and JSON Postgres refuses (NUL, lone surrogates) and gives them back unchanged', async () => {
    const embedding = unitVector(4);
    const stored = entry({
      id: 'sem_\u0000\ud800',
      scope: 'team:\udc00',
      namespace: 'ns\u0000',
      partitionHash: 'storable',
      embedding,
      prompt: 'say \u0000 and \ud83d alone, \ufdd0 too',
      target: 'mock/\ud800',
      result: { text: '\u0000\udfff', '\ud800key': ['\u0000'] },
      costMicros: 12_345_678_901_234,
    });
    await insertSemanticEntry(database.db, stored);
    const found = await nearestSemanticEntry(database.db, query(embedding, { scope: stored.scope, namespace: stored.namespace, partitionHash: 'storable' }));
    expect(found).toEqual({ id: stored.id, similarity: expect.closeTo(1, 5) as number, prompt: stored.prompt, target: stored.target, result: stored.result, costMicros: stored.costMicros, observations: [] });
    expect(await deleteSemanticEntries(database.db, { scope: stored.scope, namespace: stored.namespace })).toBe(1);
  });

  it('gives the brute-force nearest among 2,000 entries of a partition, plus 2,000 elsewhere', async () => {
    const dimensions = 64;
    const partition = Array.from({ length: 2_000 }, () => entry({ partitionHash: 'big', embedding: unitVector(dimensions) }));
    const elsewhere = Array.from({ length: 2_000 }, (_, index) => entry({ partitionHash: `big-${index % 5}`, scope: index % 2 === 0 ? 'team:a' : 'team:b', embedding: unitVector(dimensions) }));
    for (let start = 0; start < 2_000; start += 500) {
      await insertSemanticEntries(database.db, [...partition.slice(start, start + 500), ...elsewhere.slice(start, start + 500)]);
    }
    expect(await ensureSemanticIndex(database, dimensions)).toBe(true);
    const bruteForce = (probe: number[]) => partition.reduce((best, candidate) => (cosine(probe, candidate.embedding) > cosine(probe, best.embedding) ? candidate : best));

    const nearProbes = Array.from({ length: 25 }, () => nearVector(partition[Math.floor(random() * partition.length)]!.embedding));
    const randomProbes = Array.from({ length: 25 }, () => unitVector(dimensions));
    let indexedRandomHits = 0;
    for (const probe of [...nearProbes, ...randomProbes]) {
      const expected = bruteForce(probe);
      const exact = await nearestSemanticEntry(database.db, query(probe, { partitionHash: 'big' }), EXACT);
      expect(exact?.id).toBe(expected.id);
      expect(exact?.similarity).toBeCloseTo(cosine(probe, expected.embedding), 5);
      const indexed = await nearestSemanticEntry(database.db, query(probe, { partitionHash: 'big' }), INDEXED);
      // A paraphrase's entry stands out and the index must find it; among random neighbours at
      // near-equal distances HNSW is approximate, and only the recall is bounded.
      if (nearProbes.includes(probe)) expect(indexed?.id).toBe(expected.id);
      else if (indexed?.id === expected.id) indexedRandomHits += 1;
      expect(partition.some((candidate) => candidate.id === indexed?.id)).toBe(true);
    }
    expect(indexedRandomHits).toBeGreaterThanOrEqual(20);
  });

  it('finds every paraphrase’s entry among 2,000 of 512 dimensions through the index, whichever type it holds (signs on PGlite)', async () => {
    const dimensions = 512;
    const partition = Array.from({ length: 2_000 }, () => entry({ partitionHash: 'wide', embedding: unitVector(dimensions) }));
    const elsewhere = Array.from({ length: 1_000 }, () => entry({ partitionHash: 'wide-other', embedding: unitVector(dimensions) }));
    for (let start = 0; start < 2_000; start += 500) await insertSemanticEntries(database.db, [...partition.slice(start, start + 500), ...elsewhere.slice(start / 2, start / 2 + 250)]);
    expect(await ensureSemanticIndex(database, dimensions)).toBe(true);
    for (let probeIndex = 0; probeIndex < 25; probeIndex++) {
      const stored = partition[Math.floor(random() * partition.length)]!;
      const probe = nearVector(stored.embedding);
      const found = await nearestSemanticEntry(database.db, query(probe, { partitionHash: 'wide' }), INDEXED);
      expect(found?.id).toBe(stored.id);
      // Re-ranked on the full vectors: the similarity is exact, never the index's approximation.
      expect(found?.similarity).toBeCloseTo(cosine(probe, stored.embedding), 5);
    }
  });

  it('finds a small partition through the index even when the index holds mostly other partitions', async () => {
    const dimensions = 16;
    const small = Array.from({ length: 20 }, () => entry({ partitionHash: 'needle', embedding: unitVector(dimensions) }));
    const hay = Array.from({ length: 3_000 }, (_, index) => entry({ partitionHash: `hay-${index % 3}`, embedding: unitVector(dimensions) }));
    await insertSemanticEntries(database.db, small);
    for (let start = 0; start < hay.length; start += 1_000) await insertSemanticEntries(database.db, hay.slice(start, start + 1_000));
    await ensureSemanticIndex(database, dimensions);
    for (let attempt = 0; attempt < 10; attempt++) {
      const probe = unitVector(dimensions);
      const expected = small.reduce((best, candidate) => (cosine(probe, candidate.embedding) > cosine(probe, best.embedding) ? candidate : best));
      const found = await nearestSemanticEntry(database.db, query(probe, { partitionHash: 'needle' }), INDEXED);
      expect(found?.id).toBe(expected.id);
    }
  });

  it('leaves the planner and HNSW settings of the caller’s transaction as they were, through the index and exactly', async () => {
    const dimensions = 16;
    const probe = unitVector(dimensions);
    const settings = sql`select current_setting('enable_sort') as enable_sort, current_setting('jit') as jit,
      current_setting('hnsw.ef_search', true) as ef_search, current_setting('hnsw.iterative_scan', true) as iterative_scan,
      current_setting('hnsw.max_scan_tuples', true) as max_scan_tuples`;
    await database.db.transaction(async (transaction) => {
      await transaction.execute(sql`select set_config('hnsw.ef_search', '77', true), set_config('hnsw.iterative_scan', 'strict_order', true), set_config('hnsw.max_scan_tuples', '1234', true)`);
      const before = (await transaction.execute(settings)).rows[0];
      // The 'needle' partition is smaller than the hay around it in the index of 16 dimensions.
      for (const options of [INDEXED, EXACT]) {
        expect(await nearestSemanticEntry(transaction, query(probe, { partitionHash: 'needle' }), options)).toBeDefined();
        expect((await transaction.execute(settings)).rows[0]).toEqual(before);
      }
      expect(before).toMatchObject({ enable_sort: 'on', ef_search: '77', iterative_scan: 'strict_order', max_scan_tuples: '1234' });
    });
  });

  it('builds one partial HNSW index per dimension count, once, from concurrent callers', async () => {
    const other = target.kind === 'postgres' ? await scratch.open() : database;
    if (other !== database) await migrate(other);
    const results = await Promise.all([ensureSemanticIndex(database, 24), ensureSemanticIndex(other, 24), ensureSemanticIndex(database, 24)]);
    expect(results).toEqual([true, true, true]);
    expect(await ensureSemanticIndex(database, 512)).toBe(true);
    // Half precision on Postgres (half the index pages). On PGlite, whose WebAssembly build computes
    // float distances slowly, the signs from 256 dimensions up, the whole vectors below.
    const postgres = target.kind === 'postgres';
    for (const [dimensions, type] of [[24, postgres ? 'halfvec' : 'vector'], [512, postgres ? 'halfvec' : 'bit']] as const) {
      const indexes = await database.db.execute<{ indexdef: string }>(sql`select indexdef from pg_indexes where indexname = ${semanticIndexName(dimensions, type)}`);
      expect(indexes.rows).toHaveLength(1);
      const indexed = type === 'bit' ? `\\(binary_quantize\\(embedding\\)\\)::bit\\(${dimensions}\\)\\) bit_hamming_ops` : `\\(?embedding\\)?::${type}\\(${dimensions}\\)\\) ${type}_cosine_ops`;
      expect(indexes.rows[0]?.indexdef).toMatch(new RegExp(`USING hnsw \\(\\(${indexed}\\) WHERE \\(dimensions = ${dimensions}\\)`));
    }
    // Above pgvector's HNSW limits for vector and halfvec no such index can hold the vectors (lookups
    // scan instead); their signs fit a bit index up to 64,000.
    expect(await ensureSemanticIndex(database, 4_001)).toBe(!postgres);
  });

  it('keeps every one of concurrent observations, then only the most recent `max`', async () => {
    const stored = entry({ partitionHash: 'observed', embedding: unitVector(4) });
    await insertSemanticEntry(database.db, stored);
    const read = async () => (await nearestSemanticEntry(database.db, query(stored.embedding, { partitionHash: 'observed' })))?.observations ?? [];

    const first = Array.from({ length: 20 }, (_, index) => ({ similarity: index / 100, correct: index % 2 === 0 }));
    await Promise.all(first.map((observation) => addSemanticObservation(database.db, stored.id, observation, 128)));
    const afterFirst = await read();
    expect(afterFirst).toHaveLength(20);
    expect(new Set(afterFirst.map((observation) => observation.similarity))).toEqual(new Set(first.map((observation) => observation.similarity)));
    expect(afterFirst.find((observation) => observation.similarity === 0.03)?.correct).toBe(false);

    const second = Array.from({ length: 20 }, (_, index) => ({ similarity: 0.5 + index / 100, correct: true }));
    await Promise.all(second.map((observation) => addSemanticObservation(database.db, stored.id, observation, 8)));
    const afterSecond = await read();
    expect(afterSecond).toHaveLength(8);
    expect(afterSecond.every((observation) => observation.similarity >= 0.5)).toBe(true);

    for (const similarity of [0.91, 0.92, 0.93]) await addSemanticObservation(database.db, stored.id, { similarity, correct: false }, 2);
    expect(await read()).toEqual([{ similarity: 0.92, correct: false }, { similarity: 0.93, correct: false }]);
    await addSemanticObservation(database.db, 'sem_gone', { similarity: 0.5, correct: true }, 8);
  });

  it('refuses observations and embeddings it cannot use', async () => {
    await expect(addSemanticObservation(database.db, 'sem_x', { similarity: 1.5, correct: true }, 8)).rejects.toThrow(RangeError);
    await expect(addSemanticObservation(database.db, 'sem_x', { similarity: 0.5, correct: true }, 0)).rejects.toThrow(RangeError);
    for (const embedding of [[], [0, 0, 0], [1, Number.NaN], [1, Number.POSITIVE_INFINITY], [1e39, 1]]) {
      await expect(insertSemanticEntry(database.db, entry({ embedding }))).rejects.toThrow(RangeError);
      await expect(nearestSemanticEntry(database.db, query(embedding))).rejects.toThrow(RangeError);
    }
    await expect(nearestSemanticEntry(database.db, query(unitVector(4)), { efSearch: 0 })).rejects.toThrow(/efSearch/);
  });

  it('deletes by namespace, by scope or by both, and refuses an empty selection', async () => {
    const embedding = unitVector(4);
    await insertSemanticEntries(database.db, [
      entry({ scope: 'team:delete-1', namespace: 'n1', embedding }),
      entry({ scope: 'team:delete-1', namespace: 'n2', embedding }),
      entry({ scope: 'team:delete-2', namespace: 'n1', embedding }),
      entry({ scope: 'team:delete-2', namespace: 'n3', embedding }),
    ]);
    expect(await deleteSemanticEntries(database.db, { scope: 'team:delete-1', namespace: 'n1' })).toBe(1);
    expect(await deleteSemanticEntries(database.db, { namespace: 'n1' })).toBe(1);
    expect(await deleteSemanticEntries(database.db, { scope: 'team:delete-2' })).toBe(1);
    expect(await nearestSemanticEntry(database.db, query(embedding, { scope: 'team:delete-1', namespace: 'n2' }))).toBeDefined();
    await expect(deleteSemanticEntries(database.db, {})).rejects.toThrow(/namespace or a scope/);
  });

  it('sweeps expired entries, oldest first, up to the limit', async () => {
    const embedding = unitVector(4);
    const expired = [EARLIER, new Date(EARLIER.getTime() + 1_000), new Date(EARLIER.getTime() + 2_000)].map((expiresAt) => entry({ scope: 'team:sweep', expiresAt, embedding }));
    const live = entry({ scope: 'team:sweep', partitionHash: 'sweep-live', embedding });
    await insertSemanticEntries(database.db, [...expired, live]);
    const remaining = async () => (await database.db.execute<{ id: string }>(sql`select id from cache_semantic_entries where scope = 'team:sweep' order by id`)).rows.map((row) => row.id);

    expect(await sweepExpiredSemanticEntries(database.db, NOW, 2)).toBe(2);
    expect(await remaining()).toContain(expired[2]!.id);
    expect(await remaining()).not.toContain(expired[0]!.id);
    await sweepExpiredSemanticEntries(database.db, NOW, 1_000);
    expect(await remaining()).toEqual([live.id]);
  });
});
