import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { agentSpanId, toolSpanId } from '@gantry/db';
import { ProviderHttpError } from '@gantry/spec';
import { buildCallRows, type CallRecord } from '../src/index.ts';
import { createOtelListener, otlpTracesUrl, type EndedRunInfo, type OtelRecorderListener } from '../src/otel/index.ts';
import { startOtlpReceiver as startReceiver, type ExportedSpan } from '../../../test/support/otlp-receiver.ts';

const sha = (text: string, bytes: number) => createHash('sha256').update(text).digest('hex').slice(0, bytes * 2);
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const nanos = (ms: number) => (BigInt(ms) * 1_000_000n).toString();

function chatCall(overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    spanId: `span-${Math.random().toString(36).slice(2)}`,
    runId: 'run-implicit',
    apiKeyId: null,
    name: 'chat',
    requestedModel: 'fast',
    provider: 'oa',
    upstreamModel: 'gpt-4o-2024-08-06',
    request: { model: 'fast', messages: [], stream: false, includeUsage: false, maxOutputTokens: 64, temperature: 0.2 },
    result: { id: 'chatcmpl-1', model: 'gpt-4o-2024-08-06', created: 0, choices: [{ index: 0, content: [], finishReason: 'stop', rawFinishReason: 'stop' }] },
    usage: { inputTokens: 120, outputTokens: 30, cachedInputTokens: 20 },
    costMicros: 1500,
    startedAt: T0,
    endedAt: T0 + 250,
    attempts: [{ provider: 'oa', model: 'gpt-4o', startedAt: T0 + 5, endedAt: T0 + 240 }],
    stream: false,
    ...overrides,
  };
}

describe('otel exporter', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let listener: OtelRecorderListener;
  const endedRuns = new Map<string, EndedRunInfo>();

  beforeAll(async () => {
    receiver = await startReceiver();
    const created = createOtelListener({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`, OTEL_SERVICE_NAME: 'gantry-test' },
      providerTypes: new Map([['oa', 'openai']]),
      lookupRun: async (id) => endedRuns.get(id),
      // Only flushes export: a test that passes proves the flush, not the timer.
      scheduledDelayMillis: 60_000,
    });
    expect(created).toBeDefined();
    listener = created!;
  });
  afterAll(async () => {
    await listener?.shutdown();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });
  beforeEach(() => {
    receiver.spans.length = 0;
  });

  async function exported(): Promise<ExportedSpan[]> {
    await listener.forceFlush();
    return receiver.spans;
  }

  function named(spans: ExportedSpan[], name: string): ExportedSpan {
    const span = spans.find((each) => each.name === name);
    expect(span, `span '${name}' among ${spans.map((each) => each.name).join(', ')}`).toBeDefined();
    return span!;
  }

  it('reads the endpoint from the standard variables and stays off without one', () => {
    expect(otlpTracesUrl({})).toBeUndefined();
    expect(createOtelListener({ env: {} })).toBeUndefined();
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe('http://127.0.0.1:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/t' })).toBe('http://127.0.0.1:9/t');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
  });

  it('exports a call as a `chat {model}` span with GenAI attributes, over OTLP/HTTP JSON', async () => {
    const call = chatCall({ runId: 'run-a', implicitRun: { apiKeyId: null, teamId: null } });
    listener.recorded(buildCallRows(call));
    const spans = await exported();
    expect(receiver.headers.at(-1)?.['content-type']).toBe('application/json');

    const chat = named(spans, 'chat fast');
    expect(chat.traceId).toBe(sha('run-a', 16));
    expect(chat.spanId).toBe(sha(call.spanId, 8));
    expect(chat.parentSpanId ?? '').toBe('');
    expect(chat.startTimeUnixNano).toBe(nanos(T0));
    expect(chat.endTimeUnixNano).toBe(nanos(T0 + 250));
    expect(chat.resource['service.name']).toBe('gantry-test');
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'fast',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.usage.cache_read.input_tokens': 20,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.2,
      'gantry.cost_usd': 0.0015,
      'gantry.run.id': 'run-a',
      'gantry.span.id': call.spanId,
    });
    expect(chat.attributes['error.type']).toBeUndefined();
  });

  it('exports each upstream attempt as a child of its chat span, failures with error.type', async () => {
    const failure = new ProviderHttpError('oa', 500, 'upstream said 500', {});
    const call = chatCall({
      runId: 'run-b',
      implicitRun: { apiKeyId: null, teamId: null },
      attempts: [
        { provider: 'oa', model: 'gpt-4o', startedAt: T0 + 1, endedAt: T0 + 50, error: failure },
        { provider: 'oa', model: 'gpt-4o-mini', startedAt: T0 + 60, endedAt: T0 + 240 },
      ],
    });
    listener.recorded(buildCallRows(call));
    const spans = await exported();
    const chat = named(spans, 'chat fast');
    const failed = named(spans, 'attempt oa/gpt-4o');
    const won = named(spans, 'attempt oa/gpt-4o-mini');
    for (const attempt of [failed, won]) {
      expect(attempt.traceId).toBe(chat.traceId);
      expect(attempt.parentSpanId).toBe(chat.spanId);
    }
    expect(failed.attributes['error.type']).toBe('provider_error');
    expect(failed.status.code).toBe(2);
    expect(won.status.code ?? 0).toBe(0);
    expect(won.startTimeUnixNano).toBe(nanos(T0 + 60));
  });

  it('marks a failed call with error.type and no token counts', async () => {
    const call = chatCall({ runId: 'run-c', implicitRun: { apiKeyId: null, teamId: null }, error: new ProviderHttpError('oa', 500, 'boom', {}) });
    delete call.usage;
    delete call.result;
    listener.recorded(buildCallRows(call));
    const chat = named(await exported(), 'chat fast');
    expect(chat.status).toMatchObject({ code: 2, message: 'boom' });
    expect(chat.attributes['error.type']).toBe('provider_error');
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
  });

  it("joins the caller's trace under the caller's span when the request carried traceparent", async () => {
    const caller = { trace_id: '0af7651916cd43dd8448eb211c80319c', trace_parent_span_id: 'b7ad6b7169203331' };
    listener.recorded(buildCallRows(chatCall({ runId: 'run-d', implicitRun: { apiKeyId: null, teamId: null }, attributes: caller })));
    const chat = named(await exported(), 'chat fast');
    expect(chat.traceId).toBe(caller.trace_id);
    expect(chat.parentSpanId).toBe(caller.trace_parent_span_id);
  });

  it('builds a run tree: chat under the run, execute_tool on close, sub-run under its tool, invoke_agent at run end', async () => {
    const root = 'run-root-e';
    const child = 'run-child-e';
    const first = chatCall({ runId: root, toolCalls: [{ id: 'call_1', name: 'search', arguments: '{}' }, { id: 'call_2', name: 'fetch', arguments: '{}' }] });
    listener.recorded(buildCallRows(first));
    // What the run registry records when the sub-run first shows up, under the open tool call.
    listener.recorded({
      spans: [{ id: agentSpanId(child), runId: root, parentSpanId: toolSpanId(root, 'call_1'), kind: 'agent', name: 'researcher', status: 'ok', startedAt: new Date(T0 + 300), attributes: { child_run_id: child } }],
    });
    const inner = chatCall({ runId: child, startedAt: T0 + 310, endedAt: T0 + 400, attributes: { root_run_id: root } });
    listener.recorded(buildCallRows(inner));
    listener.toolSpansClosed([{ id: toolSpanId(root, 'call_1'), endedAt: new Date(T0 + 500), output: 'found' }]);
    listener.toolSpansClosed([{ id: toolSpanId(root, 'never-opened'), endedAt: new Date(T0 + 500), output: '' }]);
    endedRuns.set(child, { name: 'researcher', startedAt: new Date(T0 + 300), parentRunId: root, rootRunId: root });
    endedRuns.set(root, { name: 'planner', startedAt: new Date(T0 - 10), parentRunId: null, rootRunId: root });
    listener.runEnded({ id: child, status: 'succeeded', endedAt: new Date(T0 + 450) });
    listener.runEnded({ id: root, status: 'failed', endedAt: new Date(T0 + 600) });
    const spans = await exported();

    const traceId = sha(root, 16);
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([traceId]));
    const rootRun = named(spans, 'invoke_agent planner');
    const childRun = named(spans, 'invoke_agent researcher');
    const tool = named(spans, 'execute_tool search');
    const chats = spans.filter((span) => span.name === 'chat fast');
    expect(chats).toHaveLength(2);
    const [outer, nested] = [chats.find((span) => span.spanId === sha(first.spanId, 8))!, chats.find((span) => span.spanId === sha(inner.spanId, 8))!];

    expect(rootRun.spanId).toBe(sha(`agent:${root}`, 8));
    expect(rootRun.parentSpanId ?? '').toBe('');
    expect(rootRun.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': root, 'gen_ai.agent.name': 'planner', 'gantry.run.status': 'failed' });
    expect(rootRun.status.code).toBe(2);
    expect(rootRun.startTimeUnixNano).toBe(nanos(T0 - 10));
    expect(rootRun.endTimeUnixNano).toBe(nanos(T0 + 600));
    expect(outer.parentSpanId).toBe(rootRun.spanId);
    expect(tool.parentSpanId).toBe(rootRun.spanId);
    expect(tool.spanId).toBe(sha(toolSpanId(root, 'call_1'), 8));
    expect(tool.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'gen_ai.tool.call.id': 'call_1' });
    expect([tool.startTimeUnixNano, tool.endTimeUnixNano]).toEqual([nanos(T0 + 250), nanos(T0 + 500)]);
    expect(childRun.spanId).toBe(sha(`agent:${child}`, 8));
    expect(childRun.parentSpanId).toBe(tool.spanId);
    expect(nested.parentSpanId).toBe(childRun.spanId);
    expect(nested.attributes['gen_ai.conversation.id']).toBe(root);
    expect(tool.attributes['gantry.tool.answered']).toBe(true);
    // Never answered: closed by the run's end, as in the database.
    const unanswered = named(spans, 'execute_tool fetch');
    expect([unanswered.parentSpanId, unanswered.endTimeUnixNano, unanswered.attributes['gantry.tool.answered']]).toEqual([rootRun.spanId, nanos(T0 + 600), false]);
    expect(spans.filter((span) => span.name.startsWith('execute_tool'))).toHaveLength(2);
  });

  it("puts a run whose first request carried traceparent in the caller's trace, under the caller's span", async () => {
    const caller = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', trace_parent_span_id: '00f067aa0ba902b7' };
    listener.recorded(buildCallRows(chatCall({ runId: 'run-f', attributes: caller })));
    const later = chatCall({ runId: 'run-f', startedAt: T0 + 1000, endedAt: T0 + 1100 });
    listener.recorded(buildCallRows(later));
    const otherCaller = { trace_id: '11112222333344445555666677778888', trace_parent_span_id: '1111222233334444' };
    const elsewhere = chatCall({ runId: 'run-f', startedAt: T0 + 1200, endedAt: T0 + 1300, attributes: otherCaller });
    listener.recorded(buildCallRows(elsewhere));
    endedRuns.set('run-f', { name: null, startedAt: new Date(T0), parentRunId: null, rootRunId: 'run-f' });
    listener.runEnded({ id: 'run-f', status: 'succeeded', endedAt: new Date(T0 + 2000) });
    const spans = await exported();
    const run = named(spans, 'invoke_agent run-f');
    expect(run.traceId).toBe(caller.trace_id);
    expect(run.parentSpanId).toBe(caller.trace_parent_span_id);
    const untraced = spans.find((span) => span.spanId === sha(later.spanId, 8));
    expect(untraced?.traceId).toBe(caller.trace_id);
    expect(untraced?.parentSpanId).toBe(run.spanId);
    // A later request from another trace: a server span of that caller, linked to the run span.
    const traced = spans.find((span) => span.spanId === sha(elsewhere.spanId, 8));
    expect([traced?.traceId, traced?.parentSpanId]).toEqual([otherCaller.trace_id, otherCaller.trace_parent_span_id]);
    expect(traced?.links?.map((link) => [link.traceId, link.spanId])).toEqual([[caller.trace_id, run.spanId]]);
  });

  it('exports what is buffered on shutdown', async () => {
    const own = createOtelListener({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, scheduledDelayMillis: 60_000 })!;
    own.recorded(buildCallRows(chatCall({ runId: 'run-g', implicitRun: { apiKeyId: null, teamId: null } })));
    expect(receiver.spans).toHaveLength(0);
    await own.shutdown();
    expect(receiver.spans.map((span) => [span.name, span.traceId, span.resource['service.name']])).toContainEqual(['chat fast', sha('run-g', 16), 'gantry']);
  });
});
