import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCacheHits, applyRunDeltas, closeToolSpans, getRun, getSpan, insertRunsIgnoreExisting, insertSpans, migrate, newId, pauseRunTree, resumeRunTree, timeOutIdleRuns, upsertCacheEntry, type Database } from '../src/index.ts';
import { databaseTargets, type DatabaseTarget } from './test-databases.ts';

// Two instances that update the same rows in one statement each, in opposite orders, as two
// gateways flushing the totals of runs they both serve do. Locked in the order of each statement's
// plan (a nested loop over the JSON's rows once the table is large), 100 rows a side deadlocked
// about 4 races in 10 on Postgres; 20 races make that failure all but certain. PGlite has one
// session: one race checks the statements' results there.
const ROWS = 100;
const FILLER = 50_000;

describe.each(databaseTargets)('batched updates of shared rows on $kind', (target: DatabaseTarget) => {
  const races = target.kind === 'postgres' ? 20 : 1;
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let one: Database;
  let other: Database;

  beforeAll(async () => {
    scratch = await target.setUp();
    one = await scratch.open();
    await migrate(one);
    other = one;
    if (target.kind !== 'postgres') return;
    other = await scratch.open();
    // Tables of a working gateway's size. On a few thousand rows the plan scans the table and meets
    // rows in its order, the same for both; past ~30,000 it looks each row up in the JSON's order.
    await one.db.execute(`insert into runs (id, scope, client_run_id, root_run_id, status, started_at, last_activity_at)
      select 'filler-' || g, 'master', 'filler-' || g, 'filler-' || g, 'running', now(), now() from generate_series(1, ${FILLER}) g`);
    await one.db.execute(`insert into cache_entries (id, scope, namespace, key_hash, target, result, cost_micros, created_at, expires_at)
      select 'filler-' || g, 'master', 'default', 'filler-' || g, 'm', '{}', 0, now(), now() from generate_series(1, ${FILLER}) g`);
    await one.db.execute(`insert into spans (id, run_id, kind, name, status, started_at)
      select 'filler-' || g, 'filler', 'tool', 'lookup', 'ok', now() from generate_series(1, ${FILLER}) g`);
    await one.db.execute('analyze');
  });
  afterAll(async () => {
    await scratch.tearDown();
  });

  /** Runs `write` on both instances at once, the rows in opposite orders. */
  async function race<T>(rows: T[], write: (database: Database, rows: T[]) => Promise<void>): Promise<void> {
    await Promise.all([write(one, rows), write(other, [...rows].reverse())]);
  }

  it('adds run totals from two instances without deadlocking', async () => {
    const at = new Date('2030-01-01T00:00:00.000Z');
    for (let round = 0; round < races; round++) {
      const ids = Array.from({ length: ROWS }, () => newId());
      await insertRunsIgnoreExisting(one.db, ids.map((id) => ({ id, scope: 'master', clientRunId: id, rootRunId: id, status: 'running', startedAt: at, lastActivityAt: at })));
      const deltas = ids.map((id, index) => ({ id, costMicros: 3, inputTokens: 5, outputTokens: 7, llmCalls: 1, toolCalls: index % 2, lastActivityAt: new Date(at.getTime() + index) }));
      await race(deltas, (database, rows) => applyRunDeltas(database.db, rows));
      expect(await getRun(one.db, ids[1]!)).toMatchObject({ costMicros: 6, inputTokens: 10, outputTokens: 14, llmCalls: 2, toolCalls: 2, lastActivityAt: new Date(at.getTime() + 1) });
    }
  });

  it('adds cache hits from two instances without deadlocking', async () => {
    const at = new Date('2030-01-01T00:00:00.000Z');
    for (let round = 0; round < races; round++) {
      const ids = Array.from({ length: ROWS }, () => newId());
      for (const id of ids) {
        await upsertCacheEntry(one.db, { id, scope: 'master', namespace: 'default', keyHash: id, target: 'm', result: {}, costMicros: 1, createdAt: at, expiresAt: new Date(at.getTime() + 3_600_000) });
      }
      await race(ids, (database, rows) => addCacheHits(database.db, new Map(rows.map((id) => [id, { count: 2, at }]))));
      const counted = await one.db.execute<{ hits: number }>(`select sum(hits)::int as hits from cache_entries where id in (${ids.map((id) => `'${id}'`).join(', ')})`);
      expect(counted.rows[0]!.hits).toBe(4 * ROWS);
    }
  });

  it('closes tool spans from two instances without deadlocking, each closed once', async () => {
    const at = new Date('2030-01-01T00:00:00.000Z');
    for (let round = 0; round < races; round++) {
      const runId = newId();
      const ids = Array.from({ length: ROWS }, (_, index) => `tool:${runId}:call_${index}`);
      await insertSpans(one.db, ids.map((id) => ({ id, runId, kind: 'tool' as const, name: 'lookup', status: 'ok' as const, startedAt: at })));
      await race(ids, (database, rows) => closeToolSpans(database.db, rows.map((id) => ({ id, endedAt: new Date(at.getTime() + 1_000), output: `${database === one ? 'one' : 'other'}` }))));
      const span = await getSpan(one.db, ids[7]!);
      expect(span).toMatchObject({ status: 'ok', endedAt: new Date(at.getTime() + 1_000) });
      expect(['one', 'other']).toContain((span?.result as { output: string }).output);
    }
  });

  it('pauses and resumes a run tree while another instance adds to its runs’ totals, without deadlocking', async () => {
    const at = new Date('2030-01-01T00:00:00.000Z');
    for (let round = 0; round < races; round++) {
      const root = newId();
      const ids = [root, ...Array.from({ length: ROWS - 1 }, () => newId())];
      // Stored in the reverse of id order, as a tree whose runs were claimed out of their ids' order
      // is: a statement that meets them in the table's or its index's order locks them that way.
      const rows = ids.map((id) => ({ id, scope: 'master', clientRunId: id, rootRunId: root, ...(id === root ? {} : { parentRunId: root }), status: 'running' as const, startedAt: at, lastActivityAt: at }));
      for (const row of [...rows].reverse()) await insertRunsIgnoreExisting(one.db, [row]);
      const deltas = ids.map((id) => ({ id, costMicros: 1, inputTokens: 1, outputTokens: 1, llmCalls: 1, toolCalls: 0, lastActivityAt: at }));
      await Promise.all([pauseRunTree(one.db, root), applyRunDeltas(other.db, deltas)]);
      expect(await getRun(one.db, ids[5]!)).toMatchObject({ status: 'paused', llmCalls: 1 });
      await Promise.all([resumeRunTree(one.db, root), applyRunDeltas(other.db, [...deltas].reverse())]);
      expect(await getRun(one.db, ids[5]!)).toMatchObject({ status: 'running', llmCalls: 2 });
    }
  });

  it('times out idle runs while another instance adds to their totals, without deadlocking', async () => {
    // Idle since 2020: no other test's runs (2030, or now) are idle before 2021.
    const at = new Date('2020-01-01T00:00:00.000Z');
    for (let round = 0; round < races; round++) {
      const ids = Array.from({ length: ROWS }, () => newId());
      const rows = ids.map((id) => ({ id, scope: 'master', clientRunId: id, rootRunId: id, status: 'running' as const, startedAt: at, lastActivityAt: at }));
      for (const row of [...rows].reverse()) await insertRunsIgnoreExisting(one.db, [row]);
      const deltas = ids.map((id) => ({ id, costMicros: 1, inputTokens: 1, outputTokens: 1, llmCalls: 1, toolCalls: 0, lastActivityAt: at }));
      const [ended] = await Promise.all([timeOutIdleRuns(one.db, new Date('2021-01-01T00:00:00.000Z')), applyRunDeltas(other.db, deltas)]);
      expect(ended).toHaveLength(ROWS);
      expect(await getRun(one.db, ids[5]!)).toMatchObject({ status: 'timed_out', llmCalls: 1 });
    }
  });
});
