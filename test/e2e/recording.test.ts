import { getRun, getSpan, listSpansByRun, type Run, type Span } from '@gantry/db';
import { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';
import { storedSpan } from '../support/stored-span.ts';

/** USD per million tokens, as in gantry.yaml. */
const PRICE = { input: 0.1, output: 0.2, cached_input: 0.05 };
const USAGE = { input: 1000, output: 500, cachedInput: 200 };
// By hand: (1000 − 200) uncached × $0.10 + 200 cached × $0.05 + 500 output × $0.20, per million tokens
// = 80 + 10 + 100 micro-dollars.
const EXPECTED_COST_MICROS = 190;

interface StoredText {
  choices: { content: { type: string; text?: string }[] }[];
}

function resultText(span: Span): string {
  const result = span.result as StoredText;
  return (result.choices[0]?.content ?? []).map((part) => part.text ?? '').join('');
}

describe('call recording', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      config: {
        pricing: {
          'local/priced-model': PRICE,
          'local/priced-stream-model': PRICE,
          'local/embed-model': { input: 0.5, output: 0 },
        },
      },
    });
    stack.mock.script('priced-model', [{ text: 'a priced answer', usage: USAGE }]);
    stack.mock.script('priced-stream-model', [{ text: 'streamed, chunk by chunk, to the client', chunkSize: 6, usage: USAGE }]);
    stack.mock.script('failing-model', [{ status: 500 }]);
    stack.mock.script('embed-model', [{ usage: { input: 42 } }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function storedRun(id: string | null): Promise<Run | undefined> {
    expect(id).toEqual(expect.any(String));
    // A call that named no run has no `runs` row: getRun reads it from its span (run_rows).
    return getRun(stack.database.db, id!);
  }

  it('records a chat call as an llm span with usage, cost, request, result and raw exchange', async () => {
    const { data, response } = await stack
      .openai()
      .chat.completions.create({ model: 'local/priced-model', messages: [{ role: 'user', content: 'price me' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('a priced answer');
    const spanId = response.headers.get('x-gantry-span-id');
    const runId = response.headers.get('x-gantry-run-id');
    const span = await storedSpan(stack, spanId);

    expect(span).toMatchObject({
      runId,
      kind: 'llm',
      name: 'chat',
      status: 'ok',
      provider: 'local',
      model: 'local/priced-model',
      upstreamModel: 'priced-model',
      inputTokens: 1000,
      outputTokens: 500,
      cachedInputTokens: 200,
      costMicros: EXPECTED_COST_MICROS,
      httpStatus: 200,
      error: null,
      parentSpanId: null,
    });
    expect(span.endedAt!.getTime()).toBeGreaterThanOrEqual(span.startedAt.getTime());
    expect(span.request).toMatchObject({ model: 'local/priced-model', stream: false, messages: [{ role: 'user', content: [{ type: 'text', text: 'price me' }] }] });
    expect(resultText(span)).toBe('a priced answer');
    expect(span.raw).toMatchObject({
      url: expect.stringMatching(/\/v1\/chat\/completions$/),
      status: 200,
      requestBody: { model: 'priced-model', messages: [{ role: 'user', content: 'price me' }] },
      responseBody: { object: 'chat.completion', usage: { prompt_tokens: 1000, completion_tokens: 500 } },
    });

    const run = await storedRun(runId);
    expect(run).toMatchObject({ status: 'succeeded', costMicros: EXPECTED_COST_MICROS, inputTokens: 1000, outputTokens: 500, llmCalls: 1, apiKeyId: null });

    const spans = await listSpansByRun(stack.database.db, runId!);
    expect(spans.map((stored) => stored.kind).sort()).toEqual(['attempt', 'llm']);
    const attempt = spans.find((stored) => stored.kind === 'attempt');
    expect(attempt).toMatchObject({ parentSpanId: spanId, status: 'ok', provider: 'local', model: 'priced-model', name: 'local/priced-model', error: null });
  });

  it('records the key that made the call', async () => {
    const created = await fetch(`${stack.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'recorded caller' }),
    });
    const { id, key } = (await created.json()) as { id: string; key: string };
    const { response } = await stack
      .openai(key)
      .chat.completions.create({ model: 'local/priced-model', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(await storedSpan(stack, response.headers.get('x-gantry-span-id'))).toMatchObject({ apiKeyId: id });
    expect(await storedRun(response.headers.get('x-gantry-run-id'))).toMatchObject({ apiKeyId: id });
  });

  it('records a stream with its first token time, the streamed text and usage the client did not ask for', async () => {
    const { data: stream, response } = await stack
      .openai()
      .chat.completions.create({ model: 'local/priced-stream-model', messages: [{ role: 'user', content: 'stream me' }], stream: true })
      .withResponse();
    let streamed = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      streamed += chunk.choices[0]?.delta.content ?? '';
      // The client did not ask for include_usage, so it gets no usage chunk.
      expect(chunk.usage ?? null).toBeNull();
    }
    expect(chunks).toBeGreaterThan(2);
    expect(streamed).toBe('streamed, chunk by chunk, to the client');

    const span = await storedSpan(stack, response.headers.get('x-gantry-span-id'));
    expect(span).toMatchObject({ status: 'ok', inputTokens: 1000, outputTokens: 500, cachedInputTokens: 200, costMicros: EXPECTED_COST_MICROS });
    expect(span.attributes).toMatchObject({ stream: true });
    expect(span.firstTokenAt).toBeInstanceOf(Date);
    expect(span.firstTokenAt!.getTime()).toBeGreaterThanOrEqual(span.startedAt.getTime());
    expect(span.firstTokenAt!.getTime()).toBeLessThanOrEqual(span.endedAt!.getTime());
    expect(resultText(span)).toBe(streamed);
    // The gateway asked the provider for usage on the client's behalf.
    expect(span.raw).toMatchObject({ requestBody: { stream: true, stream_options: { include_usage: true } }, responseBody: expect.stringContaining('data: [DONE]') });
  });

  it('records an upstream failure as an error span with 502 and fails the run', async () => {
    const error = await stack
      .openai()
      .chat.completions.create({ model: 'local/failing-model', messages: [{ role: 'user', content: 'fail' }] })
      .then(
        () => expect.unreachable('the call should fail'),
        (caught: unknown) => caught,
      );
    if (!(error instanceof APIError)) throw error;
    expect(error.status).toBe(502);
    const span = await storedSpan(stack, error.headers.get('x-gantry-span-id'));
    expect(span).toMatchObject({ status: 'error', httpStatus: 502, model: 'local/failing-model', error: { code: 'provider_error', status: 502 } });
    expect(span.error?.message).toEqual(expect.any(String));

    const runId = error.headers.get('x-gantry-run-id');
    expect(await storedRun(runId)).toMatchObject({ status: 'failed', costMicros: 0 });
    const attempts = (await listSpansByRun(stack.database.db, runId!)).filter((stored) => stored.kind === 'attempt');
    expect(attempts.length).toBeGreaterThan(0);
    // Which provider failed is on the attempts: the llm span names only a provider that answered.
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ parentSpanId: span.id, status: 'error', httpStatus: 502, provider: 'local', error: { code: 'provider_error' } });
    }
  });

  it('keeps a failed attempt’s exchange on its span, each body cut to a bounded size', async () => {
    stack.mock.script('failing-with-body', [{ status: 500, errorBody: { error: { message: 'upstream exploded', type: 'server_error' } } }]);
    const long = 'y'.repeat(40_000);
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'local/failing-with-body', messages: [{ role: 'user', content: 'short' }] }),
    });
    expect(response.status).toBe(502);
    const runId = response.headers.get('x-gantry-run-id')!;
    await stack.flush();
    const [attempt] = (await listSpansByRun(stack.database.db, runId)).filter((stored) => stored.kind === 'attempt');
    expect(attempt?.raw).toMatchObject({
      url: `${stack.mock.url}/v1/chat/completions`,
      requestBody: { model: 'failing-with-body', messages: [{ role: 'user', content: 'short' }] },
      status: 500,
      responseBody: { error: { message: 'upstream exploded' } },
    });
    expect(attempt?.raw).not.toHaveProperty('truncated');

    const big = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'local/failing-with-body', messages: [{ role: 'user', content: long }] }),
    });
    expect(big.status).toBe(502);
    await stack.flush();
    const [bigAttempt] = (await listSpansByRun(stack.database.db, big.headers.get('x-gantry-run-id')!)).filter((stored) => stored.kind === 'attempt');
    const raw = bigAttempt?.raw as { requestBody: unknown; truncated?: boolean; status: number };
    expect(raw).toMatchObject({ status: 500, truncated: true });
    expect(typeof raw.requestBody).toBe('string');
    expect((raw.requestBody as string).length).toBe(16_384);
    expect(raw.requestBody as string).toMatch(/^\{"model":"failing-with-body"/);
  });

  it('records a stream the client abandoned as client_closed, with the text produced until then', async () => {
    const fullText = 'x'.repeat(8 * 40);
    stack.mock.script('slow-stream-model', [{ text: fullText, chunkSize: 8, chunkDelayMs: 250 }]);
    const controller = new AbortController();
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'local/slow-stream-model', messages: [{ role: 'user', content: 'go slowly' }], stream: true }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const spanId = response.headers.get('x-gantry-span-id');

    // Read until some text has arrived, then hang up.
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    while (!received.includes('"content":"x')) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      received += decoder.decode(value, { stream: true });
    }
    controller.abort();

    const span = await vi.waitFor(
      async () => {
        await stack.flush();
        const stored = await getSpan(stack.database.db, spanId!);
        expect(stored).toBeDefined();
        return stored!;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(span).toMatchObject({ status: 'error', error: { code: 'client_closed' } });
    const partial = resultText(span);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(fullText.length);
    expect(fullText.startsWith(partial)).toBe(true);

    // The upstream call was cancelled rather than left running.
    await vi.waitFor(() => expect(stack.mock.requests.find((request) => request.model === 'slow-stream-model')).toMatchObject({ aborted: true }), {
      timeout: 10_000,
      interval: 50,
    });
  });

  it('records an embeddings call with its operation name and token usage', async () => {
    const { data, response } = await stack.openai().embeddings.create({ model: 'local/embed-model', input: 'embed this' }).withResponse();
    expect(data.data).toHaveLength(1);
    const span = await storedSpan(stack, response.headers.get('x-gantry-span-id'));
    expect(span).toMatchObject({
      kind: 'llm',
      name: 'embeddings',
      status: 'ok',
      provider: 'local',
      model: 'local/embed-model',
      upstreamModel: 'embed-model',
      inputTokens: 42,
      outputTokens: 0,
      // 42 tokens × $0.50 per million
      costMicros: 21,
    });
    expect(span.request).toMatchObject({ model: 'local/embed-model' });
    expect(span.result).toMatchObject({ count: 1 });
    expect(await storedRun(response.headers.get('x-gantry-run-id'))).toMatchObject({ status: 'succeeded', inputTokens: 42, costMicros: 21 });
  });
});
