import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { ResponseCache } from '@gantry/cache';
import { createGateway } from '@gantry/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson, type RunNode } from '../agents/run-tree.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/** USD per million tokens: a hit saves what the first answer cost. */
const PRICE = { input: 1, output: 2 };

describe('exact response cache', () => {
  let stack: Stack;
  const tag = randomBytes(4).toString('hex');
  const model = (name: string) => `local/cache-${name}-${tag}`;
  let teams: { a1: string; a2: string; b: string };

  beforeAll(async () => {
    const names = ['plain', 'stream', 'tools', 'sampled', 'controls', 'ttl', 'teams', 'cut', 'errors', 'admin', 'shared'];
    stack = await startStack({ config: { cache: { mode: 'exact', ttl_seconds: 600 }, pricing: Object.fromEntries(names.map((name) => [model(name), PRICE])) } });
    const admin = async <T>(path: string, body: unknown) => (await requestJson<T>(`${stack.url}${path}`, MASTER_KEY, { method: 'POST', body })).body;
    const teamA = await admin<{ id: string }>('/admin/teams', { name: `cache-a-${tag}` });
    const teamB = await admin<{ id: string }>('/admin/teams', { name: `cache-b-${tag}` });
    const key = async (name: string, team: string) => (await admin<{ key: string }>('/admin/keys', { name, team_id: team })).key;
    teams = { a1: await key('a1', teamA.id), a2: await key('a2', teamA.id), b: await key('b', teamB.id) };
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Cache writes happen after the answer left: wait for them before asking again. */
  const settled = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await (stack.gateway.services.middleware.find((each) => each.name === 'cache') as ResponseCache).flush();
  };
  const upstreamCalls = (name: string) => stack.mock.requests.filter((request) => JSON.stringify(request.body ?? '').includes(`cache-${name}-${tag}`)).length;
  const ask = async (name: string, options: { key?: string; headers?: Record<string, string>; body?: Record<string, unknown>; content?: string } = {}) => {
    const { data, response } = await stack
      .openai(options.key)
      .chat.completions.create({ model: model(name), messages: [{ role: 'user', content: options.content ?? 'What is 2 + 2?' }], ...options.body }, { headers: options.headers ?? {} })
      .withResponse();
    return { data: data as import('openai').OpenAI.ChatCompletion, cache: response.headers.get('x-gantry-cache'), key: response.headers.get('x-gantry-cache-key'), headers: response.headers };
  };

  it('serves the second identical request from the cache, says so, records it as a free cache span, and never reaches the provider', async () => {
    stack.mock.script(model('plain').slice('local/'.length), [{ text: 'Four.', usage: { input: 20, output: 5 } }, { text: 'A different answer.' }]);
    const first = await ask('plain', { headers: { 'x-gantry-run-id': `cache-run-${tag}` } });
    expect(first.cache).toBe('miss');
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    await settled();
    const second = await ask('plain', { headers: { 'x-gantry-run-id': `cache-run-${tag}` } });
    expect(second.cache).toBe('hit-exact');
    expect(second.key).toBe(first.key);
    expect(second.headers.get('x-gantry-answered-by')).toBe('cache');
    expect(second.headers.get('x-gantry-attempts')).toBe('0');
    expect(second.data.choices[0]!.message.content).toBe('Four.');
    expect(second.data.usage).toEqual(first.data.usage);
    expect(upstreamCalls('plain')).toBe(1);

    await stack.flush();
    const { body: run } = await requestJson<RunNode>(`${stack.url}/v1/runs/cache-run-${tag}`, MASTER_KEY);
    const calls = run.spans.filter((span) => span.kind === 'llm');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.cost_micros).toBe(20 * PRICE.input + 5 * PRICE.output);
    expect(calls[1]).toMatchObject({ cost_micros: 0, attributes: { cache: 'hit-exact', cache_saved_micros: 20 * PRICE.input + 5 * PRICE.output } });
    expect(run.spans.some((span) => span.kind === 'cache' && span.parent_span_id === calls[1]!.id)).toBe(true);
  });

  it('serves a hit to a streaming request as a normal SSE stream, whatever the first request was', async () => {
    stack.mock.script(model('stream').slice('local/'.length), [{ text: 'Streamed once, served twice.', chunkSize: 4, usage: { input: 9, output: 6 } }]);
    expect((await ask('stream')).cache).toBe('miss');
    await settled();
    const { data: stream, response } = await stack.openai().chat.completions.create({ model: model('stream'), messages: [{ role: 'user', content: 'What is 2 + 2?' }], stream: true, stream_options: { include_usage: true } }).withResponse();
    expect(response.headers.get('x-gantry-cache')).toBe('hit-exact');
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Streamed once, served twice.');
    expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 6 });
    expect(upstreamCalls('stream')).toBe(1);
  });

  it('keys on tools and tool_choice: a cached tool call is served for the same request, opening tool spans, and never where tool_choice differs', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
    stack.mock.script(model('tools').slice('local/'.length), [
      { toolCalls: [{ id: 'call_cached', name: 'lookup', arguments: '{"q":"x"}' }] },
      { text: 'No tools were used.' },
    ]);
    const first = await ask('tools', { body: { tools } });
    expect(first.cache).toBe('miss');
    await settled();
    const runId = `cache-tools-${tag}`;
    const hit = await ask('tools', { body: { tools }, headers: { 'x-gantry-run-id': runId } });
    expect(hit.cache).toBe('hit-exact');
    expect(hit.data.choices[0]!.message.tool_calls?.[0]).toMatchObject({ id: 'call_cached', function: { name: 'lookup', arguments: '{"q":"x"}' } });
    const none = await ask('tools', { body: { tools, tool_choice: 'none' } });
    expect(none.cache).toBe('miss');
    expect(none.data.choices[0]!.message.content).toBe('No tools were used.');
    await stack.flush();
    const { body: run } = await requestJson<RunNode>(`${stack.url}/v1/runs/${runId}`, MASTER_KEY);
    expect(run.spans.find((span) => span.kind === 'tool')).toMatchObject({ name: 'lookup', tool_call_id: 'call_cached' });
  });

  it('does not cache sampled requests (temperature above 0) or n > 1, and says bypass', async () => {
    stack.mock.script(model('sampled').slice('local/'.length), [{ text: 'one' }, { text: 'two' }, { text: 'three' }, { text: 'four' }]);
    expect((await ask('sampled', { body: { temperature: 0.7 } })).cache).toBe('bypass');
    await settled();
    expect((await ask('sampled', { body: { temperature: 0.7 } })).cache).toBe('bypass');
    expect((await ask('sampled', { body: { n: 2 } })).cache).toBe('bypass');
    expect((await ask('sampled', { body: { temperature: 0 } })).cache).toBe('miss');
    expect(upstreamCalls('sampled')).toBe(4);
  });

  it('obeys x-gantry-cache, namespaces and Cache-Control, and names a bad header in a 400', async () => {
    stack.mock.script(model('controls').slice('local/'.length), [{ text: 'v1' }, { text: 'v2' }, { text: 'v3' }, { text: 'v4' }, { text: 'v5' }]);
    expect((await ask('controls', { headers: { 'x-gantry-cache': 'off' } })).cache).toBe('bypass');
    const readOnly = await ask('controls', { headers: { 'x-gantry-cache': 'read' } });
    expect(readOnly).toMatchObject({ cache: 'miss' });
    await settled();
    // Read-only stored nothing; this one stores v3.
    expect((await ask('controls')).data.choices[0]!.message.content).toBe('v3');
    await settled();
    expect((await ask('controls')).data.choices[0]!.message.content).toBe('v3');
    expect((await ask('controls', { headers: { 'cache-control': 'no-store' } })).cache).toBe('bypass');
    // Refresh: not read, answer replaced.
    const refreshed = await ask('controls', { headers: { 'x-gantry-cache': 'refresh' } });
    expect(refreshed).toMatchObject({ cache: 'miss' });
    expect(refreshed.data.choices[0]!.message.content).toBe('v5');
    await settled();
    expect((await ask('controls')).data.choices[0]!.message.content).toBe('v5');
    // Another namespace holds nothing yet.
    expect((await ask('controls', { headers: { 'x-gantry-cache-namespace': 'tenant-7' }, body: { temperature: 0 } })).cache).toBe('miss');

    for (const [header, value] of [['x-gantry-cache', 'sometimes'], ['x-gantry-cache-ttl', '-5'], ['x-gantry-cache-namespace', 'has spaces']] as const) {
      const response = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', [header]: value },
        body: JSON.stringify({ model: model('controls'), messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status, header).toBe(400);
      const body = (await response.json()) as { error: { param: string; message: string } };
      expect(body.error.param).toBe(header);
      expect(body.error.message).toContain(header);
    }
  });

  it('expires an entry after its TTL (x-gantry-cache-ttl)', async () => {
    stack.mock.script(model('ttl').slice('local/'.length), [{ text: 'fresh' }, { text: 'fresher' }]);
    expect((await ask('ttl', { headers: { 'x-gantry-cache-ttl': '1' } })).cache).toBe('miss');
    await settled();
    expect((await ask('ttl')).cache).toBe('hit-exact');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = await ask('ttl');
    expect(later.cache).toBe('miss');
    expect(later.data.choices[0]!.message.content).toBe('fresher');
  });

  it('scopes entries to the team: another key of the team is served, another team never', async () => {
    stack.mock.script(model('teams').slice('local/'.length), [{ text: 'team A answer' }, { text: 'team B answer' }]);
    expect((await ask('teams', { key: teams.a1 })).cache).toBe('miss');
    await settled();
    const sameTeam = await ask('teams', { key: teams.a2 });
    expect(sameTeam.cache).toBe('hit-exact');
    expect(sameTeam.data.choices[0]!.message.content).toBe('team A answer');
    const otherTeam = await ask('teams', { key: teams.b });
    expect(otherTeam.cache).toBe('miss');
    expect(otherTeam.data.choices[0]!.message.content).toBe('team B answer');
  });

  it('never caches a stream the client cut, nor an error', async () => {
    stack.mock.script(model('cut').slice('local/'.length), [{ text: 'a long answer that the client will not wait for', chunkSize: 2, chunkDelayMs: 20 }, { text: 'complete' }]);
    const controller = new AbortController();
    const stream = await stack.openai().chat.completions.create({ model: model('cut'), messages: [{ role: 'user', content: 'What is 2 + 2?' }], stream: true }, { signal: controller.signal });
    let chunks = 0;
    try {
      for await (const _chunk of stream) if (++chunks === 3) controller.abort();
    } catch {
      // The SDK may raise the abort or just end the iteration.
    }
    expect(chunks).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await settled();
    const after = await ask('cut');
    expect(after.cache).toBe('miss');
    expect(after.data.choices[0]!.message.content).toBe('complete');

    stack.mock.script(model('errors').slice('local/'.length), [{ status: 500 }, { text: 'recovered' }]);
    const failed = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: model('errors'), messages: [{ role: 'user', content: 'What is 2 + 2?' }] }),
    });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.headers.get('x-gantry-cache')).toBe('miss');
    await settled();
    const recovered = await ask('errors');
    expect(recovered.cache).toBe('miss');
    expect(recovered.data.choices[0]!.message.content).toBe('recovered');
  });

  it('deletes entries by key and by namespace through the admin API (master key only)', async () => {
    stack.mock.script(model('admin').slice('local/'.length), [{ text: 'one' }, { text: 'two' }, { text: 'three' }, { text: 'four' }]);
    const first = await ask('admin');
    await ask('admin', { headers: { 'x-gantry-cache-namespace': 'drop-me' } });
    await settled();
    expect((await ask('admin')).cache).toBe('hit-exact');
    const refused = await requestJson(`${stack.url}/admin/cache?key=${first.key}`, teams.a1, { method: 'DELETE' });
    expect(refused.status).toBe(403);
    expect((await requestJson(`${stack.url}/admin/cache`, MASTER_KEY, { method: 'DELETE' })).status).toBe(400);
    expect((await requestJson<{ deleted: number }>(`${stack.url}/admin/cache?key=${first.key}&scope=everyone`, MASTER_KEY, { method: 'DELETE' })).status).toBe(400);
    // The same request in another namespace has the same key: `namespace=` (empty) picks the one stored without.
    expect((await requestJson<{ deleted: number }>(`${stack.url}/admin/cache?key=${first.key}&namespace=&scope=master`, MASTER_KEY, { method: 'DELETE' })).body).toEqual({ deleted: 1 });
    expect((await ask('admin')).cache).toBe('miss');
    expect((await requestJson<{ deleted: number }>(`${stack.url}/admin/cache?namespace=drop-me`, MASTER_KEY, { method: 'DELETE' })).body).toEqual({ deleted: 1 });
    expect((await ask('admin', { headers: { 'x-gantry-cache-namespace': 'drop-me' } })).cache).toBe('miss');
  });

  it('is one cache for every instance on the database: an answer stored by one is served by another', async () => {
    const other = await createGateway(stack.gateway.services.config, { database: stack.database });
    try {
      await other.app.listen({ host: '127.0.0.1', port: 0 });
      const otherUrl = `http://127.0.0.1:${(other.app.server.address() as AddressInfo).port}`;
      stack.mock.script(model('shared').slice('local/'.length), [{ text: 'stored by the first instance' }, { text: 'should not be asked for' }]);
      expect((await ask('shared')).cache).toBe('miss');
      await settled();
      const response = await fetch(`${otherUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: model('shared'), messages: [{ role: 'user', content: 'What is 2 + 2?' }] }),
      });
      expect(response.headers.get('x-gantry-cache')).toBe('hit-exact');
      expect(((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('stored by the first instance');
      expect(upstreamCalls('shared')).toBe(1);
    } finally {
      await other.close();
    }
  });
});
