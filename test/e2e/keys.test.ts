import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const MODEL = 'local/keys-model';

describe('virtual keys', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    stack.mock.script('keys-model', [{ text: 'hello from a key' }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  function admin(method: string, path: string, body?: unknown, apiKey = MASTER_KEY): Promise<Response> {
    return fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  /** A raw chat call, so the status and error body can be checked exactly. */
  function chat(headers: Record<string, string>): Promise<Response> {
    return fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
    });
  }

  async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string; name: string; prefix: string }> {
    const response = await admin('POST', '/admin/keys', body);
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string; key: string; name: string; prefix: string };
  }

  async function expectOpenAIError(response: Response, status: number, message: RegExp): Promise<OpenAIErrorBody> {
    expect(response.status).toBe(status);
    const body = (await response.json()) as OpenAIErrorBody;
    expect(body).toEqual({ error: { message: expect.any(String), type: expect.any(String), param: null, code: expect.any(String) } });
    expect(body.error.message).toMatch(message);
    return body;
  }

  it('creates a key with the master key and returns its secret once, with id, name and prefix', async () => {
    const response = await admin('POST', '/admin/keys', { name: 'ci agent', metadata: { team: 'infra' } });
    expect(response.status).toBe(201);
    const created = (await response.json()) as Record<string, unknown>;
    expect(created).toMatchObject({ id: expect.any(String), name: 'ci agent', metadata: { team: 'infra' }, expires_at: null, revoked_at: null });
    const secret = created.key as string;
    expect(secret).toMatch(/^gk-[A-Za-z0-9_-]{20,}$/);
    expect(created.prefix).toBe(secret.slice(0, (created.prefix as string).length));
    expect(secret.length).toBeGreaterThan((created.prefix as string).length);
  });

  it('lists keys without any secret or hash', async () => {
    const created = await createKey({ name: 'listed' });
    const response = await admin('GET', '/admin/keys');
    expect(response.status).toBe(200);
    const text = await response.text();
    const listed = (JSON.parse(text) as { data: Record<string, unknown>[] }).data;
    const entry = listed.find((key) => key.id === created.id);
    expect(entry).toMatchObject({ id: created.id, name: 'listed', prefix: created.prefix, revoked_at: null });
    for (const key of listed) {
      expect(Object.keys(key).filter((field) => /key|secret|hash/i.test(field))).toEqual([]);
    }
    expect(text).not.toContain(created.key);
  });

  it('lets a new key call chat completions through the SDK', async () => {
    const { key } = await createKey({ name: 'sdk caller' });
    const completion = await stack.openai(key).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]?.message.content).toBe('hello from a key');
  });

  it('accepts the key in an x-api-key header', async () => {
    const { key } = await createKey({ name: 'x-api-key caller' });
    const response = await chat({ 'x-api-key': key });
    expect(response.status).toBe(200);
  });

  it('lets the master key call the proxy', async () => {
    const completion = await stack.openai(MASTER_KEY).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]?.message.content).toBe('hello from a key');
  });

  it('forbids a virtual key the admin API with 403 in OpenAI error shape', async () => {
    const { key } = await createKey({ name: 'not an admin' });
    const body = await expectOpenAIError(await admin('GET', '/admin/keys', undefined, key), 403, /master key/);
    expect(body.error.type).toBe('permission_error');
    await expectOpenAIError(await admin('POST', '/admin/keys', { name: 'escalation' }, key), 403, /master key/);
  });

  it('revokes a key with DELETE, after which it is rejected at once; a second DELETE is 404', async () => {
    const { id, key } = await createKey({ name: 'to revoke' });
    // Used once so the authenticator has it cached.
    expect((await chat({ authorization: `Bearer ${key}` })).status).toBe(200);

    const revoked = await admin('DELETE', `/admin/keys/${id}`);
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toEqual({ id, revoked: true });

    await expectOpenAIError(await chat({ authorization: `Bearer ${key}` }), 401, /revoked/);
    const error = await stack
      .openai(key)
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);

    const listed = (await (await admin('GET', '/admin/keys')).json()) as { data: { id: string; revoked_at: string | null }[] };
    expect(listed.data.find((entry) => entry.id === id)?.revoked_at).toEqual(expect.any(String));

    const again = await expectOpenAIError(await admin('DELETE', `/admin/keys/${id}`), 404, new RegExp(id));
    expect(again.error.code).toBe('not_found');
  });

  it('rejects a call without Authorization with 401 telling how to send the key', async () => {
    const body = await expectOpenAIError(await chat({}), 401, /Authorization: Bearer/);
    expect(body.error.type).toBe('authentication_error');
    await expectOpenAIError(await admin('GET', '/admin/keys', undefined, ''), 401, /Authorization: Bearer/);
  });

  it('treats "Authorization: Bearer" with no key (an unset shell variable) as a missing key', async () => {
    await expectOpenAIError(await chat({ authorization: 'Bearer ' }), 401, /missing API key.*Authorization: Bearer/);
    await expectOpenAIError(await chat({ authorization: 'Bearer' }), 401, /missing API key/);
  });

  it('rejects an unknown key with 401', async () => {
    await expectOpenAIError(await chat({ authorization: 'Bearer gk-this-key-was-never-created' }), 401, /does not exist/);
    const error = await stack
      .openai('gk-this-key-was-never-created')
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('rejects an expired key with 401 saying it expired', async () => {
    const { key } = await createKey({ name: 'expired', expires_at: new Date(Date.now() - 60_000).toISOString() });
    await expectOpenAIError(await chat({ authorization: `Bearer ${key}` }), 401, /expired/);
  });

  it('accepts a key until its expiry', async () => {
    const { key } = await createKey({ name: 'expires later', expires_at: '2999-01-01T00:00:00Z' });
    expect((await chat({ authorization: `Bearer ${key}` })).status).toBe(200);
  });

  it.each([
    ['a missing name', {}, 'name'],
    ['an empty name', { name: '  ' }, 'name'],
    ['expires_at that is not a date-time', { name: 'bad expiry', expires_at: 'tomorrow' }, 'expires_at'],
    ['an unknown field', { name: 'extra', scopes: ['admin'] }, 'scopes'],
  ])('rejects a create body with %s with 400 naming the field', async (_case, body, field) => {
    const response = await admin('POST', '/admin/keys', body);
    expect(response.status).toBe(400);
    const error = (await response.json()) as OpenAIErrorBody;
    expect(error.error.type).toBe('invalid_request_error');
    expect(error.error.message).toContain(field);
  });

  it('creates no key from a rejected body', async () => {
    await admin('POST', '/admin/keys', { name: 'never stored', expires_at: 'tomorrow' });
    const listed = (await (await admin('GET', '/admin/keys')).json()) as { data: { name: string }[] };
    expect(listed.data.map((entry) => entry.name)).not.toContain('never stored');
  });
});
