import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';
import { startOtlpReceiver as startReceiver, type ExportedSpan } from '../support/otlp-receiver.ts';

const sha = (text: string, bytes: number) => createHash('sha256').update(text).digest('hex').slice(0, bytes * 2);
const OTEL_ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME', 'OTEL_BSP_SCHEDULE_DELAY'] as const;

describe('OpenTelemetry export', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let stack: Stack;
  beforeAll(async () => {
    receiver = await startReceiver();
    // createGateway reads the standard OTel variables from the process (this file's worker only).
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_SERVICE_NAME = 'gantry-e2e';
    process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
    stack = await startStack();
    stack.mock.script('traced-model', [{ text: 'traced answer', usage: { input: 11, output: 7 } }]);
    stack.mock.script('tool-model', [{ toolCalls: [{ id: 'call_weather', name: 'get_weather', arguments: '{"city":"Oslo"}' }], usage: { input: 20, output: 5 } }, { text: 'It is sunny.' }]);
  });
  afterAll(async () => {
    await stack?.close();
    for (const name of OTEL_ENV) delete process.env[name];
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  async function exportedSpan(match: (span: ExportedSpan) => boolean, what: string): Promise<ExportedSpan> {
    return vi.waitFor(
      () => {
        const span = receiver.spans.find(match);
        if (span === undefined) throw new Error(`no exported ${what} among: ${receiver.spans.map((each) => each.name).join(', ')}`);
        return span;
      },
      { timeout: 10_000, interval: 50 },
    );
  }

  it("exports a chat call with traceparent as a span in the caller's trace, its parent the caller's span", async () => {
    const traceId = randomUUID().replaceAll('-', '');
    const callerSpanId = randomUUID().replaceAll('-', '').slice(0, 16);
    const { data, response } = await stack
      .openai()
      .chat.completions.create({ model: 'local/traced-model', messages: [{ role: 'user', content: 'hello' }] }, { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('traced answer');
    const gantrySpanId = response.headers.get('x-gantry-span-id')!;

    const chat = await exportedSpan((span) => span.attributes['gantry.span.id'] === gantrySpanId, 'chat span');
    expect(chat.name).toBe('chat local/traced-model');
    expect(chat.traceId).toBe(traceId);
    expect(chat.parentSpanId).toBe(callerSpanId);
    expect(chat.spanId).toBe(sha(gantrySpanId, 8));
    expect(chat.resource['service.name']).toBe('gantry-e2e');
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'local/traced-model',
      'gen_ai.response.model': 'traced-model',
      'gen_ai.provider.name': 'local',
      'gen_ai.usage.input_tokens': 11,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.response.finish_reasons': ['stop'],
      'gantry.run.id': response.headers.get('x-gantry-run-id'),
    });
    const attempt = await exportedSpan((span) => span.parentSpanId === chat.spanId, 'attempt span');
    expect(attempt).toMatchObject({ name: 'attempt local/traced-model', traceId });
  });

  it('exports a tool call answered by the next request as execute_tool, and the run as invoke_agent when it ends', async () => {
    const runId = `otel-${randomUUID()}`;
    const headers = { 'x-gantry-run-id': runId, 'x-gantry-run-name': 'weather-agent' };
    const client = stack.openai();
    const first = await client.chat.completions.create({ model: 'local/tool-model', messages: [{ role: 'user', content: 'weather in Oslo?' }] }, { headers });
    const toolCall = first.choices[0]?.message.tool_calls?.[0];
    expect(toolCall).toMatchObject({ id: 'call_weather', function: { name: 'get_weather' } });
    const second = await client.chat.completions.create(
      {
        model: 'local/tool-model',
        messages: [
          { role: 'user', content: 'weather in Oslo?' },
          { role: 'assistant', content: null, tool_calls: first.choices[0]!.message.tool_calls! },
          { role: 'tool', tool_call_id: 'call_weather', content: 'sunny, 21°C' },
        ],
      },
      { headers },
    );
    expect(second.choices[0]?.message.content).toBe('It is sunny.');
    const ended = await fetch(`${stack.url}/v1/runs/${runId}/end`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'succeeded' }),
    });
    expect(ended.status).toBe(200);

    const traceId = sha(runId, 16);
    const runSpanId = sha(`agent:${runId}`, 8);
    const tool = await exportedSpan((span) => span.name === 'execute_tool get_weather' && span.attributes['gantry.run.id'] === runId, 'execute_tool span');
    expect(tool).toMatchObject({ traceId, parentSpanId: runSpanId, spanId: sha(`tool:${runId}:call_weather`, 8) });
    expect(tool.attributes).toMatchObject({ 'gen_ai.tool.name': 'get_weather', 'gen_ai.tool.call.id': 'call_weather', 'gantry.tool.answered': true });
    const run = await exportedSpan((span) => span.spanId === runSpanId, 'invoke_agent span');
    expect(run).toMatchObject({ name: 'invoke_agent weather-agent', traceId });
    expect(run.parentSpanId ?? '').toBe('');
    expect(run.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': runId, 'gen_ai.agent.name': 'weather-agent', 'gantry.run.status': 'succeeded' });
    const chats = receiver.spans.filter((span) => span.name === 'chat local/tool-model' && span.attributes['gantry.run.id'] === runId);
    expect(chats.map((span) => [span.traceId, span.parentSpanId])).toEqual([
      [traceId, runSpanId],
      [traceId, runSpanId],
    ]);
  });
});
