import { APIError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider, type RecordedRequest } from '../mock-provider/index.ts';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

describe('upstream failures', () => {
  /**
   * The upstream for every provider here. Started before the stack because the provider table
   * (`local`, `dead`, `slow`) replaces the default one and needs its URL up front.
   */
  let upstream: MockProvider;
  let stack: Stack;

  beforeAll(async () => {
    upstream = await startMockProvider();
    stack = await startStack({
      config: {
        providers: {
          local: { type: 'openai-compatible', base_url: `${upstream.url}/v1` },
          dead: { type: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1' },
          slow: { type: 'openai-compatible', base_url: `${upstream.url}/v1`, timeout_ms: 500 },
        },
        models: {
          fast: { targets: ['local/llama3'] },
          resilient: { targets: ['local/ue-fallback-503', 'local/ue-fallback-ok'] },
          picky: { targets: ['local/ue-picky-400', 'local/ue-picky-ok'] },
        },
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await upstream?.close();
  });

  function upstreamRequests(model: string): RecordedRequest[] {
    return upstream.requests.filter((request) => request.model === model);
  }

  /** A raw chat call; returns status, headers and the error body validated against OpenAI's schema. */
  async function failingChat(model: string): Promise<{ status: number; headers: Headers; error: ErrorBody['error'] }> {
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = (await response.json()) as ErrorBody;
    expect(openaiSchemaErrors('ErrorResponse', body)).toEqual([]);
    return { status: response.status, headers: response.headers, error: body.error };
  }

  it('passes an upstream 429 through with its retry-after header as an SDK RateLimitError', async () => {
    upstream.script('ue-429', [{ status: 429, headers: { 'retry-after': '7' } }]);
    const error = await stack
      .openai()
      .chat.completions.create({ model: 'local/ue-429', messages: [{ role: 'user', content: 'hi' }] })
      .then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).status).toBe(429);
    expect((error as RateLimitError).headers?.get('retry-after')).toBe('7');
    expect((error as RateLimitError).type).toBe('rate_limit_error');
    // maxRetries 0: the SDK did not try again.
    expect(upstreamRequests('ue-429')).toHaveLength(1);

    const raw = await failingChat('local/ue-429');
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('7');
    expect(raw.error.message).toContain('provider local');
  });

  it('passes an upstream 429 through on a streaming request before any byte was sent', async () => {
    upstream.script('ue-429-stream', [{ status: 429, headers: { 'retry-after': '7' } }]);
    const error = await stack
      .openai()
      .chat.completions.create({ model: 'local/ue-429-stream', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).headers?.get('retry-after')).toBe('7');
  });

  it('turns upstream 500 and 503 into 502 naming the provider', async () => {
    upstream.script('ue-500', [{ status: 500 }]);
    upstream.script('ue-503', [{ status: 503 }]);
    for (const model of ['local/ue-500', 'local/ue-503']) {
      const { status, error } = await failingChat(model);
      expect(status, model).toBe(502);
      expect(error.message).toContain('provider local');
      expect(error.type).toBe('server_error');
    }
    const sdkError = await stack
      .openai()
      .chat.completions.create({ model: 'local/ue-503', messages: [{ role: 'user', content: 'hi' }] })
      .then(() => undefined, (caught: unknown) => caught);
    expect(sdkError).toBeInstanceOf(APIError);
    expect((sdkError as APIError).status).toBe(502);
  });

  it("keeps an upstream 400 as 400 with the provider's message", async () => {
    const message = "This model's maximum context length is 8192 tokens. However, your messages resulted in 9001 tokens.";
    upstream.script('ue-400', [
      { status: 400, errorBody: { error: { message, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } },
    ]);
    const { status, error } = await failingChat('local/ue-400');
    expect(status).toBe(400);
    expect(error.message).toContain(message);
    expect(error.message).toContain('provider local');
  });

  it('does not fall back to the next alias target when the upstream rejects the request itself', async () => {
    upstream.script('ue-picky-400', [{ status: 400, errorBody: { error: { message: 'bad request, your fault', type: 'invalid_request_error', param: null, code: null } } }]);
    upstream.script('ue-picky-ok', [{ text: 'should not be reached' }]);
    const { status, error } = await failingChat('picky');
    expect(status).toBe(400);
    expect(error.message).toContain('bad request, your fault');
    expect(upstreamRequests('ue-picky-400')).toHaveLength(1);
    expect(upstreamRequests('ue-picky-ok')).toHaveLength(0);
  });

  it('answers 502 naming the provider when its connection is refused', async () => {
    const { status, error } = await failingChat('dead/x');
    expect(status).toBe(502);
    expect(error.message).toContain('provider dead');
  });

  it('answers 504 when the provider does not answer within its timeout_ms, and drops the upstream call', async () => {
    upstream.script('ue-hang', [{ hang: true }]);
    const { status, error } = await failingChat('slow/ue-hang');
    expect(status).toBe(504);
    expect(error.message).toContain('provider slow');
    expect(error.code).toBe('provider_timeout');

    let recorded = upstreamRequests('ue-hang');
    for (let waited = 0; waited < 5_000 && recorded[0]?.aborted !== true; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      recorded = upstreamRequests('ue-hang');
    }
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.aborted).toBe(true);
  });

  it('ends a stream with an error naming the provider when it stalls past timeout_ms mid-stream', async () => {
    // The first text comes at once (firstTokenMs), so the stall is after the stream was committed.
    upstream.script('ue-stall', [{ text: 'never finishes', firstTokenMs: 1, chunkDelayMs: 3_000 }]);
    const stream = await stack.openai().chat.completions.create({ model: 'slow/ue-stall', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const chunks: unknown[] = [];
    const error = await (async () => {
      for await (const chunk of stream) chunks.push(chunk);
    })().then(() => undefined, (caught: unknown) => caught);
    // The first text arrived before the stall.
    expect(chunks.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).message).toContain('provider slow');
    expect((error as APIError).code).toBe('provider_timeout');
  });

  it('falls back to the next alias target after a 503 and names the target that answered', async () => {
    upstream.script('ue-fallback-503', [{ status: 503 }]);
    upstream.script('ue-fallback-ok', [{ text: 'second target answered' }]);
    const { data: completion, response } = await stack
      .openai()
      .chat.completions.create({ model: 'resilient', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-gantry-target')).toBe('local/ue-fallback-ok');
    expect(completion.choices[0]?.message.content).toBe('second target answered');
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
    expect(upstreamRequests('ue-fallback-503')).toHaveLength(1);
    expect(upstreamRequests('ue-fallback-ok')).toHaveLength(1);
  });

  it('falls back to the next alias target for a stream that failed before its first byte', async () => {
    upstream.script('ue-fallback-503', [{ status: 503 }]);
    upstream.script('ue-fallback-ok', [{ text: 'streamed from the second target', chunkSize: 6 }]);
    const { data: stream, response } = await stack
      .openai()
      .chat.completions.create({ model: 'resilient', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    expect(response.headers.get('x-gantry-target')).toBe('local/ue-fallback-ok');
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('streamed from the second target');
  });
});
