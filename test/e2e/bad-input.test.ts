import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

const BODY_LIMIT = 2000;

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

describe('bad client input', () => {
  let stack: Stack;
  /** Every status a bad request got, so the suite can check none was a server error. */
  const statuses: number[] = [];

  beforeAll(async () => {
    stack = await startStack({ env: { GANTRY_BODY_LIMIT: String(BODY_LIMIT) } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Sends raw bytes and returns the status and the OpenAI error body, validated against OpenAI's schema. */
  async function send(path: string, init: { method?: string; body?: string; contentType?: string } = {}): Promise<{ status: number; error: ErrorBody['error'] }> {
    const headers: Record<string, string> = { authorization: `Bearer ${MASTER_KEY}` };
    if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
    const response = await fetch(`${stack.url}${path}`, {
      method: init.method ?? 'POST',
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as ErrorBody;
    expect(openaiSchemaErrors('ErrorResponse', body)).toEqual([]);
    statuses.push(response.status);
    return { status: response.status, error: body.error };
  }

  const chat = (body: unknown) => send('/v1/chat/completions', { body: JSON.stringify(body) });
  const user = [{ role: 'user', content: 'hi' }];

  it('rejects malformed JSON with 400 saying the body is not valid JSON', async () => {
    const { status, error } = await send('/v1/chat/completions', { body: '{"model": "fast", "messages": [' });
    expect(status).toBe(400);
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.type).toBe('invalid_request_error');
  });

  it('rejects a JSON body that is not an object with 400', async () => {
    for (const body of ['[]', '"x"', '42']) {
      const { status, error } = await send('/v1/chat/completions', { body });
      expect(status, body).toBe(400);
      expect(error.message).toMatch(/JSON object/);
    }
  });

  it('rejects an empty JSON body with 400', async () => {
    const { status, error } = await send('/v1/chat/completions', { body: '' });
    expect(status).toBe(400);
    expect(error.message).toMatch(/empty/);
  });

  it('rejects a request without messages with 400 naming the messages param', async () => {
    const { status, error } = await chat({ model: 'fast' });
    expect(status).toBe(400);
    expect(error.param).toBe('messages');
    expect(error.message).toContain('messages');
  });

  it('rejects an empty messages array with 400', async () => {
    const { status, error } = await chat({ model: 'fast', messages: [] });
    expect(status).toBe(400);
    expect(error.param).toBe('messages');
    expect(error.message).toMatch(/at least one message/);
  });

  it('rejects a wrongly typed field with 400 naming it', async () => {
    const { status, error } = await chat({ model: 'fast', messages: user, temperature: 'hot' });
    expect(status).toBe(400);
    expect(error.param).toBe('temperature');
    expect(error.message).toContain('temperature');
    expect(error.message).toMatch(/expected number, got a string/);
  });

  it('rejects an unknown message role with 400 listing the accepted roles', async () => {
    const { status, error } = await chat({ model: 'fast', messages: [{ role: 'wizard', content: 'abracadabra' }] });
    expect(status).toBe(400);
    expect(error.param).toMatch(/^messages\[0\]/);
    expect(error.message).toContain('"wizard"');
    expect(error.message).toMatch(/system, developer, user, assistant, tool/);
  });

  it('rejects an unknown content part type with 400 naming the part and listing accepted types', async () => {
    const { status, error } = await chat({ model: 'fast', messages: [{ role: 'user', content: [{ type: 'video', url: 'https://example.com/v.mp4' }] }] });
    expect(status).toBe(400);
    expect(error.param).toMatch(/^messages\[0\]\.content\[0\]/);
    expect(error.message).toContain('messages[0].content[0]');
    expect(error.message).toContain('"video"');
    expect(error.message).toMatch(/text, image_url, input_audio, file/);
  });

  it('answers an unknown model with 404 listing the configured providers and aliases', async () => {
    const { status, error } = await chat({ model: 'nope', messages: user });
    expect(status).toBe(404);
    expect(error.message).toContain("'nope'");
    expect(error.message).toMatch(/configured providers: local/);
    expect(error.message).toMatch(/alias \(fast\)/);
  });

  it('rejects an unknown provider with 400 naming it and listing the configured ones', async () => {
    const { status, error } = await chat({ model: 'nope/x', messages: user });
    expect(status).toBe(400);
    expect(error.param).toBe('model');
    expect(error.message).toContain("unknown provider 'nope'");
    expect(error.message).toMatch(/configured providers: local/);
  });

  it('rejects a body over the limit with 413 naming the limit', async () => {
    const { status, error } = await chat({ model: 'fast', messages: [{ role: 'user', content: 'x'.repeat(BODY_LIMIT) }] });
    expect(status).toBe(413);
    expect(error.message).toContain(`${BODY_LIMIT} bytes`);
    expect(error.code).toBe('request_too_large');
  });

  it('rejects a non-JSON content type with 415', async () => {
    const { status, error } = await send('/v1/chat/completions', { body: JSON.stringify({ model: 'fast', messages: user }), contentType: 'text/plain' });
    expect(status).toBe(415);
    expect(error.message).toMatch(/application\/json/);
  });

  it('rejects an embeddings request without input with 400 naming input', async () => {
    const { status, error } = await send('/v1/embeddings', { body: JSON.stringify({ model: 'local/emb' }) });
    expect(status).toBe(400);
    expect(error.param).toBe('input');
  });

  it('answers an unknown route with 404 in the OpenAI error shape', async () => {
    const { status, error } = await send('/v1/nothing-here', { method: 'GET' });
    expect(status).toBe(404);
    expect(error.message).toContain('/v1/nothing-here');
    expect(error.type).toBe('not_found_error');
  });

  it('never answered any of the bad requests above with a server error', () => {
    expect(statuses.length).toBeGreaterThanOrEqual(15);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
  });

  it('still serves a normal request after all the bad ones', async () => {
    const completion = await stack.openai().chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]?.message.content).toBe('Hello from the mock provider.');
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
  });
});
