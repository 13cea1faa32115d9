import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getSpan,
  insertRunsIgnoreExisting,
  insertSpans,
  listSpansByRun,
  migrate,
  newId,
  runs,
  type Database,
  type NewSpan,
} from '../src/index.ts';
import { databaseTargets, type DatabaseTarget } from './test-databases.ts';

function newSpan(runId: string, overrides: Partial<NewSpan> = {}): NewSpan {
  return {
    id: newId(),
    runId,
    kind: 'llm',
    status: 'ok',
    startedAt: new Date('2030-01-01T00:00:00.000Z'),
    ...overrides,
  };
}

describe.each(databaseTargets)('recording repository on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
  });
  afterAll(async () => {
    await scratch.tearDown();
  });

  it('inserts new runs, ignores existing ids and reports which ones it inserted', async () => {
    const rootId = `run_${newId()}`;
    const childId = `run_${newId()}`;

    const firstInsert = await insertRunsIgnoreExisting(database.db, [
      { id: rootId, scope: 'master', clientRunId: rootId, rootRunId: rootId, name: 'first name', metadata: { agent: 'planner' } },
    ]);
    const secondInsert = await insertRunsIgnoreExisting(database.db, [
      { id: rootId, scope: 'master', clientRunId: rootId, rootRunId: rootId, name: 'second name' },
      { id: childId, scope: 'master', clientRunId: childId, rootRunId: rootId, parentRunId: rootId },
      { id: childId, scope: 'master', clientRunId: childId, rootRunId: rootId, parentRunId: rootId, name: 'duplicate in batch' },
    ]);

    expect(firstInsert).toEqual([rootId]);
    expect(secondInsert).toEqual([childId]);
    expect(await insertRunsIgnoreExisting(database.db, [])).toEqual([]);

    const [root] = await database.db.select().from(runs).where(eq(runs.id, rootId));
    expect(root?.name).toBe('first name');
    expect(root?.metadata).toEqual({ agent: 'planner' });
    expect(root?.status).toBe('running');
    expect(root?.costMicros).toBe(0);
    expect(root?.llmCalls).toBe(0);
    const [child] = await database.db.select().from(runs).where(eq(runs.id, childId));
    expect(child?.parentRunId).toBe(rootId);
    expect(child?.name).toBeNull();
  });

  it('keeps bigint money exact up to Number.MAX_SAFE_INTEGER', async () => {
    const runId = `run_${newId()}`;
    const big = Number.MAX_SAFE_INTEGER;
    await insertRunsIgnoreExisting(database.db, [
      { id: runId, scope: 'master', clientRunId: runId, rootRunId: runId, costMicros: big, inputTokens: big - 1, outputTokens: 2 ** 40 + 1 },
    ]);
    const span = newSpan(runId, { costMicros: big - 2 });
    await insertSpans(database.db, [span]);

    const [run] = await database.db.select().from(runs).where(eq(runs.id, runId));
    expect(run?.costMicros).toBe(big);
    expect(run?.inputTokens).toBe(big - 1);
    expect(run?.outputTokens).toBe(2 ** 40 + 1);
    expect((await getSpan(database.db, span.id))?.costMicros).toBe(big - 2);
  });

  it('rejects a run id longer than 128 characters', async () => {
    const id = 'r'.repeat(129);
    await expect(insertRunsIgnoreExisting(database.db, [{ id, scope: 'master', clientRunId: id, rootRunId: id }])).rejects.toThrow();
  });

  it('round-trips every span column, jsonb included, and fills defaults', async () => {
    // No run row on purpose: spans may land before (or without) their run.
    const runId = `run_${newId()}`;
    const full: NewSpan = {
      id: newId(),
      runId,
      parentSpanId: newId(),
      kind: 'attempt',
      name: 'openai gpt-x',
      status: 'error',
      startedAt: new Date('2030-01-01T00:00:00.001Z'),
      endedAt: new Date('2030-01-01T00:00:01.999Z'),
      firstTokenAt: new Date('2030-01-01T00:00:00.500Z'),
      apiKeyId: newId(),
      provider: 'openai',
      model: 'gpt-x',
      upstreamModel: 'gpt-x-2030-01-01',
      toolCallId: 'call_1',
      inputTokens: 1200,
      outputTokens: 34,
      cachedInputTokens: 1000,
      reasoningTokens: 12,
      costMicros: 4321,
      httpStatus: 429,
      error: { code: 'rate_limited', message: 'slow down', status: 429 },
      request: { messages: [{ role: 'user', content: 'héllo "world" \n\u2603 😀' }], temperature: 0.5 },
      result: { finishReason: 'stop', content: [], nested: { deep: [1, 2.5, null, true] } },
      raw: { status: 429, headers: { 'retry-after': '2' }, body: '{"error":{}}' },
      attributes: { retry: 1, 'gen_ai.system': 'openai' },
      oneCallRun: true,
      teamId: 'team_1',
    };
    const minimal = newSpan(runId, { kind: 'tool', startedAt: new Date('2030-01-01T00:00:02Z') });
    await insertSpans(database.db, [full, minimal]);

    expect(await getSpan(database.db, full.id)).toEqual(full);
    expect(await getSpan(database.db, minimal.id)).toEqual({
      ...minimal,
      parentSpanId: null,
      name: null,
      endedAt: null,
      firstTokenAt: null,
      apiKeyId: null,
      provider: null,
      model: null,
      upstreamModel: null,
      toolCallId: null,
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      costMicros: 0,
      httpStatus: null,
      error: null,
      request: null,
      result: null,
      raw: null,
      attributes: {},
      oneCallRun: null,
      teamId: null,
    });
    expect(await getSpan(database.db, newId())).toBeUndefined();
  });

  it('stores NUL and lone surrogates in every text and JSON column, and reads them back as written', async () => {
    // Valid JSON and valid JS strings, which Postgres refuses in text and jsonb (NUL in json too).
    const odd = 'a\u0000b\ud800c\udc00\ufdd0d800';
    const runId = `run_${newId()}`;
    await insertRunsIgnoreExisting(database.db, [{ id: runId, scope: 'master', clientRunId: runId, rootRunId: runId, name: odd, metadata: { [odd]: odd } }]);
    const span: NewSpan = {
      ...newSpan(runId, { kind: 'tool' }),
      id: `tool:${runId}:${odd}`,
      name: odd,
      model: odd,
      toolCallId: odd,
      error: { code: 'invalid_request', message: odd },
      request: { user: odd, messages: [{ role: 'user', content: odd }], [odd]: [odd] },
      result: { arguments: `{"q":"${odd}"}` },
      raw: { body: odd },
      attributes: { [odd]: { nested: odd } },
    };
    const plain = newSpan(runId, { startedAt: new Date('2030-01-01T00:00:01Z'), request: { text: 'plain' } });
    await insertSpans(database.db, [span, plain]);

    expect(await getSpan(database.db, span.id)).toMatchObject(span);
    expect(await listSpansByRun(database.db, runId)).toMatchObject([span, plain]);
    // The stored form escapes them (see storable-text.ts); only the repository readers decode it.
    const [run] = await database.db.select().from(runs).where(eq(runs.id, runId));
    expect(run?.name).toBe('a\ufdd00000b\ufdd0d800c\ufdd0dc00\ufdd0fdd0d800');
  });

  it('lists a run\'s spans in start order and nothing from other runs', async () => {
    const runId = `run_${newId()}`;
    const otherRunId = `run_${newId()}`;
    const late = newSpan(runId, { startedAt: new Date('2030-01-01T00:00:03Z') });
    const early = newSpan(runId, { startedAt: new Date('2030-01-01T00:00:01Z') });
    const middle = newSpan(runId, { startedAt: new Date('2030-01-01T00:00:02Z') });
    const other = newSpan(otherRunId);
    await insertSpans(database.db, [late, other, early, middle]);
    await insertSpans(database.db, []);

    const listed = await listSpansByRun(database.db, runId);
    expect(listed.map((span) => span.id)).toEqual([early.id, middle.id, late.id]);
    expect(await listSpansByRun(database.db, `run_${newId()}`)).toEqual([]);
  });

  it('inserts a batch larger than one statement can bind', async () => {
    const runId = `run_${newId()}`;
    const batch = Array.from({ length: 2_500 }, (_, index) =>
      newSpan(runId, {
        startedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, 0, index)),
        attributes: { index },
        request: { index },
        costMicros: index,
      }),
    );
    await insertSpans(database.db, batch);

    const listed = await listSpansByRun(database.db, runId);
    expect(listed).toHaveLength(2_500);
    expect(listed.at(-1)?.attributes).toEqual({ index: 2_499 });
  });

  it('runs repository calls inside a transaction through the transaction handle', async () => {
    const runId = `run_${newId()}`;
    await expect(
      database.db.transaction(async (tx) => {
        await insertRunsIgnoreExisting(tx, [{ id: runId, scope: 'master', clientRunId: runId, rootRunId: runId }]);
        await insertSpans(tx, [newSpan(runId)]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');

    expect(await listSpansByRun(database.db, runId)).toEqual([]);
    expect(await database.db.select().from(runs).where(eq(runs.id, runId))).toEqual([]);
  });
});
