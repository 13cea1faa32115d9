import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createGateway } from '@gantry/gateway';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson, type RunView } from '../agents/run-tree.ts';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/** Providers of every type, all pointed at the one mock provider. */
const providers = (mockUrl: string) => ({
  providers: {
    local: { type: 'openai-compatible', base_url: `${mockUrl}/v1` },
    claude: { type: 'anthropic', base_url: `${mockUrl}/v1`, api_key: 'sk-ant-test' },
    gem: { type: 'gemini', base_url: `${mockUrl}/v1beta`, api_key: 'gemini-test' },
  },
});

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The mismatches between the OpenAPI spec and real traffic that the fixtures README lists (1–3). */
function responseSchemaErrors(value: unknown): string[] {
  return openaiSchemaErrors('Response', value).filter((error) => !/^\/user |^\/usage\/input_tokens_details .*cache_write_tokens/.test(error) && !error.startsWith('/usage must be object'));
}

describe('the OpenAI Responses API at /v1/responses', () => {
  let stack: Stack;
  let openai: OpenAI;
  let sequence = 0;
  const scripted = (provider: string, steps: Parameters<Stack['mock']['script']>[1]) => {
    const model = `responses-${++sequence}`;
    stack.mock.script(model, steps);
    return `${provider}/${model}`;
  };
  const upstreamBody = (index = -1) => stack.mock.requests.at(index)?.body as Record<string, unknown>;

  beforeAll(async () => {
    stack = await startStack({ config: providers });
    openai = stack.openai();
  });
  afterAll(async () => {
    await stack?.close();
  });

  describe.each(['local', 'claude', 'gem'])('routed to the %s provider', (provider) => {
    it('answers responses.create with a Response the SDK parses and the schema accepts', async () => {
      const model = scripted(provider, [{ text: 'Bonjour from upstream.' }]);
      const response = await openai.responses.create({ model, input: 'Say hello', instructions: 'Be brief.' });
      expect(response.object).toBe('response');
      expect(response.id).toMatch(/^resp_[0-9a-f]{50}$/);
      expect(response.status).toBe('completed');
      expect(response.output_text).toBe('Bonjour from upstream.');
      expect(response.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', id: expect.stringMatching(/^msg_/) });
      expect(response.usage?.output_tokens).toBeGreaterThan(0);
      expect(response.instructions).toBe('Be brief.');
      expect(responseSchemaErrors(response)).toEqual([]);
    });

    it('streams through responses.stream to the same text, every event numbered in order', async () => {
      const model = scripted(provider, [{ text: 'A streamed answer in several small pieces.', chunkSize: 5 }]);
      const stream = openai.responses.stream({ model, input: 'Stream please' });
      const types: string[] = [];
      const numbers: number[] = [];
      let deltas = '';
      let completed: OpenAI.Responses.Response | undefined;
      for await (const event of stream) {
        types.push(event.type);
        numbers.push(event.sequence_number);
        if (event.type === 'response.output_text.delta') deltas += event.delta;
        if (event.type === 'response.completed') completed = event.response;
      }
      const final = await stream.finalResponse();
      expect(deltas).toBe('A streamed answer in several small pieces.');
      expect(final.output_text).toBe(deltas);
      expect(numbers).toEqual(numbers.map((_, index) => index));
      expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
      expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
      // What was streamed is what was stored (the SDK's finalResponse adds its own parsed fields).
      const stored = await fetch(`${stack.url}/v1/responses/${final.id}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      expect(await stored.json()).toEqual(completed);
      expect(responseSchemaErrors(completed)).toEqual([]);
    });

    it('runs a function-call round trip with previous_response_id, in one run', async () => {
      const model = scripted(provider, [{ toolCalls: [{ id: 'call_w1', name: 'get_weather', arguments: '{"city":"Lisbon"}' }] }, { text: 'It is sunny in Lisbon.' }]);
      const { data: first, response: firstHttp } = await openai.responses.create({ model, input: 'Weather in Lisbon?', tools: [WEATHER_TOOL] }).withResponse();
      const call = first.output.find((item) => item.type === 'function_call');
      expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Lisbon"}', id: expect.stringMatching(/^fc_/) });
      if (call?.type !== 'function_call') throw new Error('no function call');
      const { data: second, response: secondHttp } = await openai.responses
        .create({
          model,
          previous_response_id: first.id,
          tools: [WEATHER_TOOL],
          input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"sky":"sunny"}' }],
        })
        .withResponse();
      expect(second.output_text).toBe('It is sunny in Lisbon.');
      expect(second.previous_response_id).toBe(first.id);
      // The upstream got the whole conversation: question, tool call, tool result.
      const sent = JSON.stringify(upstreamBody());
      expect(sent).toContain('Weather in Lisbon?');
      expect(sent).toContain('sunny');
      expect(sent).toContain('get_weather');
      // Both turns are one run, without any header.
      await stack.flush();
      const runId = firstHttp.headers.get('x-gantry-run-id');
      expect(secondHttp.headers.get('x-gantry-run-id')).toBe(runId);
      const { status, body } = await requestJson<RunView>(`${stack.url}/v1/runs/${runId}`, MASTER_KEY);
      expect(status).toBe(200);
      expect(body.totals).toMatchObject({ llm_calls: 2, tool_calls: 1 });
    });

    it('runs the same round trip with the whole input replayed and store: false', async () => {
      const model = scripted(provider, [{ toolCalls: [{ id: 'call_w2', name: 'get_weather', arguments: '{"city":"Oslo"}' }] }, { text: 'Snow in Oslo.' }]);
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Weather in Oslo?' }];
      const first = await openai.responses.create({ model, input, tools: [WEATHER_TOOL], store: false });
      expect((first as unknown as { store: boolean }).store).toBe(false);
      for (const item of first.output) input.push(item as OpenAI.Responses.ResponseInputItem);
      const call = first.output.find((item) => item.type === 'function_call');
      if (call?.type !== 'function_call') throw new Error('no function call');
      input.push({ type: 'function_call_output', call_id: call.call_id, output: 'snowing' });
      const second = await openai.responses.create({ model, input, tools: [WEATHER_TOOL], store: false });
      expect(second.output_text).toBe('Snow in Oslo.');
      await expect(openai.responses.retrieve(first.id)).rejects.toMatchObject({ status: 404 });
    });
  });

  it('keeps a response for GET, lists its input items with cursor paging, and deletes it', async () => {
    const model = scripted('local', [{ text: 'ok' }]);
    const input: OpenAI.Responses.ResponseInputItem[] = ['one', 'two', 'three'].map((text) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }));
    const created = await openai.responses.create({ model, input });
    expect(await openai.responses.retrieve(created.id)).toEqual(created);

    const firstPage = await openai.responses.inputItems.list(created.id, { limit: 2, order: 'asc' });
    expect(firstPage.data.map((item) => (item.type === 'message' ? JSON.stringify(item.content) : ''))).toEqual([expect.stringContaining('one'), expect.stringContaining('two')]);
    expect(firstPage.has_more).toBe(true);
    const secondPage = await openai.responses.inputItems.list(created.id, { limit: 2, order: 'asc', after: firstPage.data.at(-1)!.id });
    expect(secondPage.data).toHaveLength(1);
    expect(secondPage.has_more).toBe(false);
    const newestFirst = await openai.responses.inputItems.list(created.id, { order: 'desc' });
    expect(newestFirst.data.map((item) => item.id)).toEqual([...firstPage.data, ...secondPage.data].map((item) => item.id).reverse());

    await openai.responses.delete(created.id);
    const response = await fetch(`${stack.url}/v1/responses/${created.id}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(response.status).toBe(404);
    const body = (await response.json()) as ErrorBody;
    // As OpenAI answers it (fixture error-404-response-not-found.jsonc).
    expect(body).toEqual({ error: { message: `Response with id '${created.id}' not found.`, type: 'invalid_request_error', param: null, code: null } });
  });

  it('stores text Postgres refuses (NUL, a lone surrogate) and gives it back as sent', async () => {
    const model = scripted('local', [{ text: 'ok' }]);
    const text = 'nul \u0000 and lone \ud800 surrogate';
    const created = await openai.responses.create({ model, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }], id: 'msg_\ud800' } as OpenAI.Responses.ResponseInputItem], metadata: { note: text } });
    const items = await openai.responses.inputItems.list(created.id);
    expect(items.data).toEqual([{ id: 'msg_\ud800', type: 'message', role: 'user', content: [{ type: 'input_text', text }] }]);
    expect((await openai.responses.retrieve(created.id)).metadata).toEqual({ note: text });
  });

  it('resolves item_reference to a stored item of an earlier response', async () => {
    const model = scripted('local', [{ toolCalls: [{ id: 'call_ref', name: 'get_weather', arguments: '{"city":"Rome"}' }] }, { text: 'Warm in Rome.' }]);
    const first = await openai.responses.create({ model, input: 'Weather in Rome?', tools: [WEATHER_TOOL] });
    const call = first.output.find((item) => item.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no function call');
    const second = await openai.responses.create({
      model,
      tools: [WEATHER_TOOL],
      input: [{ role: 'user', content: 'Weather in Rome?' }, { type: 'item_reference', id: call.id! }, { type: 'function_call_output', call_id: call.call_id, output: 'warm' }],
    });
    expect(second.output_text).toBe('Warm in Rome.');
    // The referenced call went upstream between the question and its result.
    expect(upstreamBody().messages).toMatchObject([{ role: 'user' }, { role: 'assistant', tool_calls: [{ id: call.call_id, function: { arguments: '{"city":"Rome"}' } }] }, { role: 'tool', tool_call_id: call.call_id }]);
  });

  it('returns reasoning as summary items, its signature only with include, and sends the stored signature back', async () => {
    const signature = Buffer.from('mock-provider-signature-not-a-real-signature').toString('base64');
    const model = scripted('claude', [{ reasoning: 'Lisbon is usually sunny.', toolCalls: [{ id: 'toolu_r1', name: 'get_weather', arguments: '{"city":"Lisbon"}' }] }, { text: 'Sunny.' }]);
    const first = await openai.responses.create({ model, input: 'Weather in Lisbon?', tools: [WEATHER_TOOL], reasoning: { effort: 'low' } });
    expect(first.output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'Lisbon is usually sunny.' }] });
    expect(first.output[0]).not.toHaveProperty('encrypted_content');
    const call = first.output.find((item) => item.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no function call');
    // The stored response kept the signature: the next turn hands it back to the provider.
    await openai.responses.create({ model, tools: [WEATHER_TOOL], previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny' }] });
    expect(JSON.stringify(upstreamBody())).toContain(signature);

    for (const stream of [false, true]) {
      for (const include of [[], ['reasoning.encrypted_content' as const]]) {
        const request = { model: scripted('claude', [{ reasoning: 'Thinking.', text: 'Answer.' }]), input: 'hi', include };
        const response = stream ? await openai.responses.stream(request).finalResponse() : await openai.responses.create(request);
        const reasoning = response.output[0];
        expect(reasoning, `stream ${stream}, include ${include.join()}`).toMatchObject({ type: 'reasoning', summary: [{ text: 'Thinking.' }] });
        if (include.length > 0) expect(reasoning).toMatchObject({ encrypted_content: signature });
        else expect(reasoning).not.toHaveProperty('encrypted_content');
      }
    }
  });

  describe('refuses in the Responses error shape, naming the field', () => {
    const post = async (body: Record<string, unknown>, key = MASTER_KEY) => {
      const response = await fetch(`${stack.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as ErrorBody };
    };

    it('an unknown item type', async () => {
      const { status, body } = await post({ model: 'local/x', input: [{ type: 'telepathy', text: 'hi' }] });
      expect(status).toBe(400);
      expect(body.error.param).toBe('input[0].type');
      expect(openaiSchemaErrors('ErrorResponse', body)).toEqual([]);
    });

    it('a function_call_output whose call_id matches no call', async () => {
      const { status, body } = await post({ model: 'local/x', input: [{ role: 'user', content: 'hi' }, { type: 'function_call_output', call_id: 'call_nowhere', output: 'x' }] });
      expect(status).toBe(400);
      expect(body.error.param).toBe('input[1].call_id');
      expect(body.error.message).toContain('call_nowhere');
    });

    it('an unknown previous_response_id, and an item_reference to nothing', async () => {
      const unknown = await post({ model: 'local/x', previous_response_id: 'resp_nothing', input: 'hi' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.param).toBe('previous_response_id');
      const reference = await post({ model: 'local/x', input: [{ type: 'item_reference', id: 'msg_nothing' }] });
      expect(reference.status).toBe(400);
      expect(reference.body.error.param).toBe('input[0].id');
    });

    it('a previous_response_id created with store: false, saying so', async () => {
      const model = scripted('local', [{ text: 'not kept' }]);
      const first = await openai.responses.create({ model, input: 'hi', store: false });
      const { status, body } = await post({ model, previous_response_id: first.id, input: 'again' });
      expect(status).toBe(400);
      expect(body.error.message).toMatch(/store: false/);
    });

    it('a chain whose earlier response was deleted, naming it', async () => {
      const model = scripted('local', [{ text: 'one' }, { text: 'two' }]);
      const first = await openai.responses.create({ model, input: 'one' });
      const second = await openai.responses.create({ model, input: 'two', previous_response_id: first.id });
      await openai.responses.delete(first.id);
      const { status, body } = await post({ model, previous_response_id: second.id, input: 'three' });
      expect(status).toBe(400);
      expect(body.error.param).toBe('previous_response_id');
      expect(body.error.message).toContain(first.id);
    });

    it("another team's response, exactly as one that does not exist", async () => {
      const team = async (name: string) => {
        const created = await requestJson<{ id: string }>(`${stack.url}/admin/teams`, MASTER_KEY, { method: 'POST', body: { name: `${name}-${randomUUID()}` } });
        const key = await requestJson<{ key: string }>(`${stack.url}/admin/keys`, MASTER_KEY, { method: 'POST', body: { name, team_id: created.body.id } });
        expect(key.status).toBe(201);
        return key.body.key;
      };
      const alice = await team('alice');
      const bob = await team('bob');
      const model = scripted('local', [{ text: 'secret' }, { text: 'still secret' }]);
      const owned = await stack.openai(alice).responses.create({ model, input: 'hi' });
      const teammate = await stack.openai(alice).responses.retrieve(owned.id);
      expect(teammate.id).toBe(owned.id);
      for (const path of [`/v1/responses/${owned.id}`, `/v1/responses/${owned.id}/input_items`]) {
        const response = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${bob}` } });
        expect(response.status, path).toBe(404);
        await response.arrayBuffer();
      }
      const chained = await post({ model, previous_response_id: owned.id, input: 'more' }, bob);
      expect(chained.status).toBe(400);
      expect(chained.body.error.message).toBe(`Previous response with id '${owned.id}' not found.`);
      const deleted = await fetch(`${stack.url}/v1/responses/${owned.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${bob}` } });
      expect(deleted.status).toBe(404);
      await deleted.arrayBuffer();
      expect((await stack.openai(alice).responses.retrieve(owned.id)).id).toBe(owned.id);
    });

    it('a built-in tool for a target that cannot run it', async () => {
      const { status, body } = await post({ model: 'local/x', input: 'search', tools: [{ type: 'web_search' }] });
      expect(status).toBe(400);
      expect(body.error.message).toContain('web_search');
      expect(body.error.param).toBe('tools');
    });
  });

  it('keeps the run of a first response whose call failed, or whose client left mid-stream', async () => {
    const failing = scripted('local', [{ status: 400, errorBody: { error: { message: 'bad upstream request', type: 'invalid_request_error' } } }]);
    const failed = await fetch(`${stack.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: failing, input: 'hi' }) });
    expect(failed.status).toBe(400);
    await failed.arrayBuffer();
    const slow = scripted('local', [{ text: 'a long answer that the client will not wait for', chunkSize: 2, chunkDelayMs: 50 }]);
    const controller = new AbortController();
    const left = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: slow, input: 'hi', stream: true }),
      signal: controller.signal,
    });
    const reader = left.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.read().catch(() => undefined);
    for (const response of [failed, left]) {
      const runId = response.headers.get('x-gantry-run-id')!;
      await expect.poll(async () => {
        await stack.flush();
        return (await requestJson<RunView>(`${stack.url}/v1/runs/${runId}`, MASTER_KEY)).body.totals?.llm_calls;
      }).toBe(1);
    }
  });

  it('chains from a response another instance returned, on the very next request', async () => {
    const other = await createGateway(stack.gateway.services.config, { database: stack.database });
    try {
      await other.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = other.app.server.address() as AddressInfo;
      const elsewhere = new OpenAI({ apiKey: MASTER_KEY, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
      for (const stream of [false, true]) {
        const model = scripted('local', [{ toolCalls: [{ id: `call_x${stream}`, name: 'get_weather', arguments: '{"city":"Porto"}' }] }, { text: 'Rain in Porto.' }]);
        const request = { model, input: 'Weather in Porto?', tools: [WEATHER_TOOL] };
        const { data: first, response: http } = stream ? { data: await openai.responses.stream(request).finalResponse(), response: undefined } : await openai.responses.create(request).withResponse();
        const call = first.output.find((item) => item.type === 'function_call');
        if (call?.type !== 'function_call') throw new Error('no function call');
        const { data: second, response: otherHttp } = await elsewhere.responses
          .create({ model, previous_response_id: first.id, tools: [WEATHER_TOOL], input: [{ type: 'function_call_output', call_id: call.call_id, output: 'rain' }] })
          .withResponse();
        expect(second.output_text).toBe('Rain in Porto.');
        if (http !== undefined) expect(otherHttp.headers.get('x-gantry-run-id')).toBe(http.headers.get('x-gantry-run-id'));
        expect((await elsewhere.responses.retrieve(first.id)).id).toBe(first.id);
      }
    } finally {
      await other.close();
    }
  });

  it('ends a stream the upstream broke with error and response.failed, and keeps the failed response', async () => {
    const model = scripted('local', [{ text: 'partial answer that breaks', chunkSize: 4, errorEventAfterChunks: 2 }]);
    const response = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, input: 'hi', stream: true }),
    });
    const text = await response.text();
    const events = text
      .split('\n\n')
      .filter((frame) => frame.includes('data: '))
      .map((frame) => JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as { type: string; sequence_number: number; response?: { id: string; status: string } });
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events.slice(-2).map((event) => event.type)).toEqual(['error', 'response.failed']);
    const failed = events.at(-1)!.response!;
    expect(failed.status).toBe('failed');
    const stored = await fetch(`${stack.url}/v1/responses/${failed.id}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(await stored.json()).toMatchObject({ id: failed.id, status: 'failed', error: { message: expect.any(String) } });
  });

  it('joins the run named by x-gantry-run-id instead of starting one', async () => {
    const model = scripted('local', [{ text: 'one' }, { text: 'two' }]);
    const runId = `responses-run-${randomUUID()}`;
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${stack.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-gantry-run-id': runId } });
    const first = await client.responses.create({ model, input: 'hi' });
    await client.responses.create({ model, input: 'again', previous_response_id: first.id });
    await stack.flush();
    const { status, body } = await requestJson<RunView>(`${stack.url}/v1/runs/${runId}`, MASTER_KEY);
    expect(status).toBe(200);
    expect(body.totals).toMatchObject({ llm_calls: 2 });
  });
});
