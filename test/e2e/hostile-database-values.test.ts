import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, chatCall } from '../support/budget-helpers.ts';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Postgres `integer`'s largest value: run limits on calls and depth are 32-bit columns. */
const MAX_INT32 = 2_147_483_647;

describe('hostile input: values the database cannot hold', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function send(method: string, path: string, body?: unknown): Promise<{ status: number; error: OpenAIErrorBody['error'] }> {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${MASTER_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as OpenAIErrorBody;
    expect(openaiSchemaErrors('ErrorResponse', json), `${method} ${path}`).toEqual([]);
    return { status: response.status, error: json.error };
  }

  it('rejects NUL characters and lone surrogates in x-gantry-metadata with a 400 naming the header', async () => {
    // Header values are Latin-1 text: the JSON escapes are what smuggle these characters in.
    for (const [index, metadata] of ['{"note":"a\\u0000b"}', '{"note":"\\ud800"}', '{"\\udc00":"key"}'].entries()) {
      const named: Record<string, string> = { 'x-gantry-run-id': `meta-${index}` };
      for (const runHeaders of [named, {}]) {
        const response = await chatCall(stack.url, MASTER_KEY, 'fast', { headers: { ...runHeaders, 'x-gantry-metadata': metadata } });
        expect(response.status, metadata).toBe(400);
        const body = (await response.json()) as OpenAIErrorBody;
        expect(body.error.param).toBe('x-gantry-metadata');
        expect(body.error.message).toMatch(/^header x-gantry-metadata: ".*" holds (a NUL character|a lone UTF-16 surrogate)/);
      }
    }
    expect(stack.mock.requests).toHaveLength(0);
    // Text that is merely unusual is stored as sent.
    const emoji = await chatCall(stack.url, MASTER_KEY, 'fast', { headers: { 'x-gantry-run-id': 'meta-emoji', 'x-gantry-metadata': '{"note":"\\ud83d\\ude00 ok"}' } });
    expect(emoji.status).toBe(200);
    await stack.flush();
    expect((await adminCall<{ metadata: unknown }>(stack.url, 'GET', '/v1/runs/meta-emoji')).json.metadata).toEqual({ note: '😀 ok' });
  });

  it('answers a NUL in a run or span id, or in a runs query, with a 400 instead of a database error', async () => {
    expect((await chatCall(stack.url, MASTER_KEY, 'fast', { headers: { 'x-gantry-run-id': 'ids-run' } })).status).toBe(200);
    await stack.flush();
    const cursorWithNul = Buffer.from(JSON.stringify([new Date().toISOString(), 'a\u0000b'])).toString('base64url');
    const cases: [string, string, unknown, string][] = [
      ['GET', '/v1/runs/%00', undefined, 'id'],
      ['GET', '/v1/runs/run%00x/spans/s', undefined, 'id'],
      ['GET', '/v1/runs/ids-run/spans/%00', undefined, 'span_id'],
      ['POST', '/v1/runs/%00/end', { status: 'succeeded' }, 'id'],
      ['GET', '/v1/runs/%00/limits', undefined, 'id'],
      ['POST', '/v1/runs/%00/limits', { max_calls: 5 }, 'id'],
      ['GET', '/v1/runs?name=%00', undefined, 'name'],
      ['GET', '/v1/runs?key=a%00', undefined, 'key'],
      ['GET', `/v1/runs?cursor=${cursorWithNul}`, undefined, 'cursor'],
    ];
    for (const [method, path, body, param] of cases) {
      const { status, error } = await send(method, path, body);
      expect(status, `${method} ${path}`).toBe(400);
      expect(error.param, `${method} ${path}`).toBe(param);
      expect(error.message, `${method} ${path}`).toMatch(/NUL character|not a cursor/);
    }
    // Ids without a NUL are still looked up as before.
    expect((await send('GET', '/v1/runs/no-such-run')).status).toBe(404);
  });

  it('refuses run limits past their 32-bit and millisecond columns with a 400 naming the field, for keys, teams and runs', async () => {
    const tooLarge: [string, unknown, string][] = [
      ['/admin/keys', { name: 'k', limits: { run: { max_calls: MAX_INT32 + 1 } } }, 'limits.run.max_calls'],
      ['/admin/keys', { name: 'k', limits: { run: { max_depth: MAX_INT32 + 1 } } }, 'limits.run.max_depth'],
      ['/admin/keys', { name: 'k', limits: { run: { max_wall_seconds: 1e300 } } }, 'limits.run.max_wall_seconds'],
      ['/admin/teams', { name: 't', limits: { run: { max_calls: MAX_INT32 + 1 } } }, 'limits.run.max_calls'],
      ['/admin/teams', { name: 't', limits: { run: { max_wall_seconds: 1e300 } } }, 'limits.run.max_wall_seconds'],
      ['/v1/runs/ids-run/limits', { max_calls: MAX_INT32 + 1 }, 'max_calls'],
      ['/v1/runs/ids-run/limits', { max_wall_seconds: 1e300 }, 'max_wall_seconds'],
    ];
    for (const [path, body, param] of tooLarge) {
      const { status, error } = await send('POST', path, body);
      expect(status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(error.param, `${path} ${JSON.stringify(body)}`).toBe(param);
      expect(error.message, `${path} ${JSON.stringify(body)}`).toMatch(/must be at most (2147483647|1000000000)/);
    }
  });

  it('accepts the largest limits the columns hold, and a key created with them makes calls', async () => {
    const limits = { run: { max_calls: MAX_INT32, max_depth: MAX_INT32, max_tokens: Number.MAX_SAFE_INTEGER, max_wall_seconds: 1e9 } };
    const created = await adminCall<{ key: string }>(stack.url, 'POST', '/admin/keys', { name: 'roomy', limits });
    expect(created.status).toBe(201);
    const call = await chatCall(stack.url, created.json.key, 'fast', { headers: { 'x-gantry-run-id': 'roomy-run' } });
    expect(call.status).toBe(200);
    const raised = await adminCall<{ limits: { max_calls: number; max_wall_seconds: number } }>(stack.url, 'POST', '/v1/runs/roomy-run/limits', { max_calls: MAX_INT32, max_wall_seconds: 1e9 });
    expect(raised.status).toBe(200);
    expect(raised.json.limits).toMatchObject({ max_calls: MAX_INT32, max_wall_seconds: 1e9 });
  });
});
