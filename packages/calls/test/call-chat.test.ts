import { createDatabase, getSpan, migrate, type Database } from '@gantry/db';
import { BudgetGuard, PolicyStore } from '@gantry/policy';
import { createProvider, PriceBook } from '@gantry/providers';
import { ModelResolver, Router } from '@gantry/router';
import { RunRegistry, SpanRecorder } from '@gantry/runs';
import type { StreamEvent } from '@gantry/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../../../test/mock-provider/index.ts';
import { callChat, traceOf, type CallServices } from '../src/index.ts';

/**
 * The call as replay will use it: services assembled from the packages, no fastify, no HTTP
 * ingress — only the provider on the other side is a server (the mock, on 127.0.0.1).
 */
describe('callChat without HTTP', () => {
  let mock: MockProvider;
  let database: Database;
  let services: CallServices;
  let policy: PolicyStore;
  const master = { apiKeyId: null, teamId: null, master: true };

  beforeAll(async () => {
    mock = await startMockProvider();
    mock.script('plain', [{ text: 'a plain answer', usage: { input: 10, output: 4 } }]);
    mock.script('broken', [{ status: 500 }]);
    database = await createDatabase(process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : {});
    await migrate(database);
    const providers = new Map([['local', createProvider({ name: 'local', type: 'openai-compatible', baseUrl: `${mock.url}/v1` })]]);
    const recorder = new SpanRecorder(database.db, { flushIntervalMs: 50 });
    policy = new PolicyStore(database.db);
    await policy.reload();
    services = {
      router: new Router(new ModelResolver(providers, {})),
      prices: new PriceBook({ 'local/plain': { input: 1, output: 2 } }),
      recorder,
      runs: new RunRegistry(database.db, recorder),
      budgets: new BudgetGuard(database.db, policy),
      middleware: [],
      calls: { storeRaw: true, defaultMaxOutputTokens: 1024 },
    };
  });
  afterAll(async () => {
    await services?.recorder.close();
    policy?.close();
    await services?.budgets.close();
    await database?.close();
    await mock?.close();
  });

  const request = (model: string, stream: boolean) => ({ model, messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hi' }] }], stream, includeUsage: false });

  it('answers a complete call and records it in a named run', async () => {
    const outcome = await callChat(services, { request: request('local/plain', false), caller: master, headers: { 'x-gantry-run-id': 'calls-package-run' } }, new AbortController().signal);
    if (outcome.type !== 'result') throw new Error('expected a complete result');
    expect(outcome.result.choices[0]?.content).toEqual([{ type: 'text', text: 'a plain answer' }]);
    expect(outcome.trace).toMatchObject({ runId: 'calls-package-run', target: 'local/plain', attempts: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    await services.recorder.flush();
    const span = await getSpan(database.db, outcome.trace.spanId);
    expect(span).toMatchObject({ runId: 'calls-package-run', kind: 'llm', inputTokens: 10, outputTokens: 4, costMicros: 18 });
    expect(span?.request).toMatchObject({ type: 'chat', version: 1, model: 'local/plain' });
  });

  it('streams canonical events and records the call once they were read', async () => {
    const outcome = await callChat(services, { request: request('local/plain', true), caller: master, headers: {} }, new AbortController().signal);
    if (outcome.type !== 'stream') throw new Error('expected a stream');
    const events: StreamEvent[] = [];
    for await (const event of outcome.events) events.push(event);
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['response-start', 'text-delta', 'finish', 'usage']));
    await new Promise((resolve) => setImmediate(resolve));
    await services.recorder.flush();
    const span = await getSpan(database.db, outcome.trace.spanId);
    expect(span).toMatchObject({ status: 'ok', outputTokens: 4, attributes: expect.objectContaining({ stream: true }) });
    expect(span?.firstTokenAt).not.toBeNull();
  });

  it('throws a failed call as a GatewayError whose trace names its run, span and tries', async () => {
    const failure = await callChat(services, { request: request('local/broken', false), caller: master, headers: {} }, new AbortController().signal).then(
      () => expect.unreachable('the call should fail'),
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'provider_error', status: 502 });
    const trace = traceOf(failure);
    expect(trace).toMatchObject({ attempts: 1 });
    await services.recorder.flush();
    expect(await getSpan(database.db, trace!.spanId)).toMatchObject({ status: 'error', httpStatus: 502 });
  });
});
