import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSpan, insertSpans, listSpansByRun, listSpansOfRuns, migrate, newId, spans, type Database, type NewSpan, type Span } from '../src/index.ts';
import { databaseTargets, type DatabaseTarget } from './test-databases.ts';

const at = (ms: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, 0, ms));

/** An llm call as buildCallRows makes it: the llm span and one attempt per try. */
function llmCall(runId: string, tries: Partial<NewSpan>[] = [{}]): NewSpan[] {
  const llm: NewSpan = {
    id: newId(),
    runId,
    kind: 'llm',
    name: 'chat',
    status: 'ok',
    startedAt: at(0),
    endedAt: at(40),
    apiKeyId: 'key_1',
    provider: 'openai',
    model: 'fast',
    upstreamModel: 'gpt-x-2030',
    inputTokens: 10,
    outputTokens: 5,
    costMicros: 7,
    httpStatus: 200,
    request: { messages: [] },
    result: { choices: [] },
    attributes: { stream: false, attempts: tries.length },
  };
  const attempts = tries.map((overrides, index): NewSpan => ({
    id: newId(),
    runId,
    parentSpanId: llm.id,
    kind: 'attempt',
    name: 'openai/gpt-x',
    status: 'ok',
    startedAt: at(2 + index),
    endedAt: at(40),
    apiKeyId: 'key_1',
    provider: 'openai',
    model: 'gpt-x',
    httpStatus: null,
    error: null,
    ...overrides,
  }));
  return [llm, ...attempts];
}

/** A span as read back: every column present, defaults filled. */
function stored(span: NewSpan): Span {
  return {
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
    ...span,
  } as Span;
}

describe.each(databaseTargets)('single attempts stored in their llm span on $kind', (target: DatabaseTarget) => {
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

  async function rowsOf(runId: string): Promise<number> {
    const [rows] = await database.db.select({ value: count() }).from(spans).where(eq(spans.runId, runId));
    return rows?.value ?? -1;
  }

  it('writes one row for a call with one plain try and reads both spans back unchanged', async () => {
    const runId = `run_${newId()}`;
    const [llm, attempt] = llmCall(runId);
    await insertSpans(database.db, [llm!, attempt!]);

    expect(await rowsOf(runId)).toBe(1);
    expect(await listSpansByRun(database.db, runId)).toEqual([stored(llm!), stored(attempt!)]);
    expect(await listSpansOfRuns(database.db, [runId])).toEqual([stored(llm!), stored(attempt!)]);
    expect(await getSpan(database.db, llm!.id)).toEqual(stored(llm!));
    expect(await getSpan(database.db, attempt!.id, runId)).toEqual(stored(attempt!));
    expect(await getSpan(database.db, attempt!.id)).toEqual(stored(attempt!));
    expect(await getSpan(database.db, attempt!.id, `run_${newId()}`)).toBeUndefined();
  });

  it('keeps an attempt that ended before its call', async () => {
    const runId = `run_${newId()}`;
    const [llm, attempt] = llmCall(runId, [{ endedAt: at(30) }]);
    await insertSpans(database.db, [llm!, attempt!]);

    expect(await rowsOf(runId)).toBe(1);
    expect(await listSpansByRun(database.db, runId)).toEqual([stored(llm!), stored(attempt!)]);
  });

  it('stores attempts that say more than their llm span as rows of their own', async () => {
    const runId = `run_${newId()}`;
    const failed = llmCall(runId, [{ status: 'error', httpStatus: 502, error: { code: 'provider_error', message: 'bad gateway', status: 502 } }]);
    const retried = llmCall(runId, [{ status: 'error', httpStatus: 503 }, {}]);
    const otherProvider = llmCall(runId, [{ provider: 'azure', name: 'azure/gpt-x' }]);
    const calls = [failed, retried, otherProvider];
    await insertSpans(database.db, calls.flat());

    expect(await rowsOf(runId)).toBe(calls.flat().length);
    const listed = await listSpansByRun(database.db, runId);
    expect(listed).toHaveLength(calls.flat().length);
    for (const span of calls.flat()) expect(listed).toContainEqual(stored(span));
  });

  it('stores an attempt written without its llm span as a row', async () => {
    const runId = `run_${newId()}`;
    const [llm, attempt] = llmCall(runId);
    await insertSpans(database.db, [llm!]);
    await insertSpans(database.db, [attempt!]);

    expect(await rowsOf(runId)).toBe(2);
    expect(await listSpansByRun(database.db, runId)).toEqual([stored(llm!), stored(attempt!)]);
  });
});
