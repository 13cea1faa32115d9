import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../packages/formats/src/check-json-value.ts';
import { OFF_THREAD_BODY_BYTES } from '../../apps/gateway/src/plugins/json-body-parser.ts';
import { adminCall } from '../support/budget-helpers.ts';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/** 100 000 levels of arrays in 200 KB: deeper than JSON.stringify (and any recursion) survives. */
const DEEP = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
const USER = '[{"role":"user","content":"hi"}]';

interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

describe('hostile input: deeply nested JSON', () => {
  let stack: Stack;
  /** A second tenant's key: its calls must not suffer from the first tenant's bodies. */
  let otherKey: string;

  beforeAll(async () => {
    // The default breaker opens after 5 consecutive failures; one target, so nothing to fall back to.
    stack = await startStack();
    otherKey = (await adminCall<{ key: string }>(stack.url, 'POST', '/admin/keys', { name: 'other tenant' })).json.key;
  });
  afterAll(async () => {
    await stack?.close();
  });

  function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${stack.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', ...headers }, body });
  }

  it('rejects an unknown chat parameter nested 100 000 levels with a 400 naming the field and the limit', async () => {
    const response = await post('/v1/chat/completions', `{"model":"fast","messages":${USER},"extra":${DEEP}}`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as OpenAIErrorBody;
    expect(openaiSchemaErrors('ErrorResponse', body)).toEqual([]);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request', param: 'extra[0][0][0][0][0]' });
    expect(body.error.message).toBe(
      `request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep at extra[0][0][0][0][0]…; flatten that field, or send deeply nested data as a JSON string`,
    );
    expect(stack.mock.requests).toHaveLength(0);
  });

  it('rejects the same on /v1/messages in Anthropic error format', async () => {
    const response = await post('/v1/messages', `{"model":"fast","max_tokens":8,"messages":${USER},"metadata_extra":${DEEP}}`, { 'anthropic-version': '2023-06-01' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(body.error.message).toContain(`more than ${MAX_JSON_DEPTH} levels deep at metadata_extra[0]`);
  });

  it('leaves the target healthy for everyone: deep bodies neither open its breaker nor reach it', async () => {
    for (let request = 0; request < 6; request++) {
      expect((await post('/v1/chat/completions', `{"model":"fast","messages":${USER},"extra":${DEEP}}`)).status).toBe(400);
    }
    const other = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${otherKey}`, 'content-type': 'application/json' },
      body: `{"model":"fast","messages":${USER}}`,
    });
    expect(other.status).toBe(200);
    const targets = await adminCall<{ data: { target: string; state: string; consecutive_failures: number; window_failures: number }[] }>(stack.url, 'GET', '/admin/targets');
    expect(targets.json.data.find((target) => target.target === 'local/llama3')).toMatchObject({ state: 'closed', consecutive_failures: 0, window_failures: 0 });
    await stack.flush();
    expect(stack.gateway.services.recorder.getStats()).toMatchObject({ failedWrites: 0, buffered: 0 });
  });

  it('rejects a deep body on every JSON route, not only the chat routes, naming the field', async () => {
    const cases: [string, string][] = [
      ['/v1/embeddings', `{"model":"local/embed","input":"hi","extra":${DEEP}}`],
      ['/v1/messages/count_tokens', `{"model":"fast","messages":${USER},"extra":${DEEP}}`],
      ['/admin/teams', `{"name":"deep","metadata":{"note":${DEEP}}}`],
      ['/v1/runs/some-run/end', `{"status":${DEEP}}`],
    ];
    for (const [path, body] of cases) {
      const response = await post(path, body, { 'anthropic-version': '2023-06-01' });
      expect(response.status, path).toBe(400);
      expect(JSON.stringify(await response.json()), path).toContain(`more than ${MAX_JSON_DEPTH} levels deep at `);
    }
    const admin = await post('/admin/teams', `{"name":"deep","metadata":{"note":${DEEP}}}`);
    expect(((await admin.json()) as OpenAIErrorBody).error.param).toBe('metadata.note[0][0][0][0]');
  });

  it('does not count brackets inside strings, escaped quotes included', async () => {
    stack.mock.reset();
    const content = `${'[{'.repeat(5000)} \\" ${'[{"'.repeat(5000)}`;
    const response = await post('/v1/chat/completions', JSON.stringify({ model: 'fast', messages: [{ role: 'user', content }], 'odd \\"[key': [[1]] }));
    expect(response.status).toBe(200);
    expect((stack.mock.requests[0]?.body as { messages: { content: string }[] }).messages[0]?.content).toBe(content);
  });

  it('passes an unknown parameter nested just within the limit through to the provider unchanged', async () => {
    stack.mock.reset();
    // The body is level 1: `extra` may nest MAX_JSON_DEPTH - 1 levels.
    const extra = `${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}`;
    const response = await post('/v1/chat/completions', `{"model":"fast","messages":${USER},"extra":${extra}}`);
    expect(response.status).toBe(200);
    expect(JSON.stringify((stack.mock.requests[0]?.body as { extra?: unknown }).extra)).toBe(extra);
  });

  describe('bodies large enough to be parsed on a worker thread', () => {
    /** A string field that makes a body larger than the size parsed off the event loop. */
    const PAD = 'p'.repeat(OFF_THREAD_BODY_BYTES);

    it('passes a large prompt through exactly: multi-byte characters, escapes and a lone surrogate kept', async () => {
      stack.mock.reset();
      const content = `${'é€😀 \\ "quoted"\n'.repeat(30_000)}\ud800 end`;
      const response = await post('/v1/chat/completions', JSON.stringify({ model: 'fast', messages: [{ role: 'user', content }], extra: { pad: PAD, n: -0.5 } }));
      expect(response.status).toBe(200);
      const sent = stack.mock.requests[0]?.body as { messages: { content: string }[]; extra: { pad: string; n: number } };
      expect(sent.messages[0]?.content).toBe(content);
      expect(sent.extra).toEqual({ pad: PAD, n: -0.5 });
    });

    it('rejects a large body nested too deep with the same 400 as a small one', async () => {
      const response = await post('/v1/chat/completions', `{"model":"fast","messages":${USER},"pad":"${PAD}","extra":${DEEP}}`);
      expect(response.status).toBe(400);
      const body = (await response.json()) as OpenAIErrorBody;
      expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'extra[0][0][0][0][0]' });
      expect(body.error.message).toContain(`more than ${MAX_JSON_DEPTH} levels deep at extra[0][0][0][0][0]…`);
    });

    it('rejects large malformed JSON and large prototype poisoning with 400s saying the body is not valid JSON', async () => {
      for (const body of [`{"model":"fast","messages":${USER},"pad":"${PAD}"`, `{"model":"fast","messages":${USER},"pad":"${PAD}","__proto__":{"admin":true}}`]) {
        const response = await post('/v1/chat/completions', body);
        expect(response.status).toBe(400);
        const error = ((await response.json()) as OpenAIErrorBody).error;
        expect(error).toMatchObject({ type: 'invalid_request_error' });
        expect(error.message).toMatch(/not valid JSON/);
      }
    });
  });
});
