import { describe, expect, it } from 'vitest';
import { mockEncryptedReasoning } from '../openai-responses-wire.ts';
import { keysOf, readJsonc, readSseFixture, schemaErrors, type SseFrame, uniqueModel, useMockProvider } from './wire-test-kit.ts';

const mock = useMockProvider();
const input = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What should I wear in San Francisco?' }] }];
const WEATHER_TOOL = { type: 'function', name: 'get_weather_at_location', parameters: { type: 'object', properties: { location: { type: 'string' } } }, strict: false };

type Json = Record<string, unknown>;

function eventsOf(frames: SseFrame[]): Json[] {
  return frames.map((frame) => {
    const event = JSON.parse(frame.data) as Json;
    // every frame is named, and the name is the payload's type (as recorded)
    expect(frame.event).toBe(event.type);
    return event;
  });
}

/** Keys of the first event of each type, to compare a stream's shapes with a recording's. */
function keysByType(events: Json[]): Map<unknown, string[]> {
  const keys = new Map<unknown, string[]>();
  for (const event of events) if (!keys.has(event.type)) keys.set(event.type, keysOf(event));
  return keys;
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A Response with the recordings' departures from the spec undone (fixture README, "Responses
 * results" 1–3): `user: null`, `usage: null` before completion, no `cache_write_tokens` in 2025.
 * The mock follows the recordings; this lets everything else be checked against the schema.
 */
function asSpecResponse(response: Json): Json {
  const { user, usage, ...rest } = response;
  const patched: Json = user === null ? rest : { ...rest, user };
  if (isObject(usage)) patched.usage = { ...usage, input_tokens_details: { cache_write_tokens: 0, ...(usage.input_tokens_details as Json) } };
  return patched;
}

/** A stream event with the recordings' departures undone: its Response's, and `name` missing from `.done` (result 4). */
function asSpecEvent(event: Json): Json {
  if (isObject(event.response)) return { ...event, response: asSpecResponse(event.response) };
  if (event.type === 'response.function_call_arguments.done') return { ...event, name: 'get_weather_at_location' };
  return event;
}

describe('openai responses wire: non-stream', () => {
  it('answers the default text in the recorded Response envelope, keys in the recorded order (user null as recorded, not as specified)', async () => {
    const { status, body, headers } = await mock.postJson('/v1/responses', { model: uniqueModel('gpt-resp'), input, store: false });
    expect(status).toBe(200);
    expect(headers.get('content-length')).not.toBeNull();
    const fixture = readJsonc('openai-responses/responses-response-after-function_call_output.jsonc') as Json & { output: Json[] };
    expect(Object.keys(body)).toEqual(Object.keys(fixture));
    const [message] = body.output as Json[];
    expect(keysOf(message)).toEqual(keysOf(fixture.output[0]));
    expect(message).toMatchObject({ type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Hello from the mock provider.' }] });
    expect(body.id).toMatch(/^resp_[0-9a-f]{50}$/);
    expect(message?.id).toMatch(/^msg_[0-9a-f]{50}$/);
    expect(body).toMatchObject({ object: 'response', status: 'completed', store: false, incomplete_details: null, service_tier: 'default' });
    expect(keysOf(body.usage)).toEqual(keysOf(fixture.usage));
    // 36 characters of input text / 4
    expect(body.usage).toMatchObject({ input_tokens: 9, output_tokens: 8, total_tokens: 17 });
    expect(schemaErrors('Response', asSpecResponse(body))).toEqual([]);
  });

  it('returns function calls as recorded: call_ ids, fc_ item ids, arguments as a string, tools echoed', async () => {
    const model = uniqueModel('gpt-resp-tools');
    mock.provider.script(model, [{ toolCalls: [{ name: 'get_weather_at_location', arguments: '{"location":"San Francisco, CA"}' }, { id: 'call_fixed', name: 'other', arguments: '{"oops' }] }]);
    const { body } = await mock.postJson('/v1/responses', { model, input, tools: [WEATHER_TOOL] });
    const fixture = readJsonc('openai-responses/responses-response-function_call.jsonc') as { output: Json[] };
    const output = body.output as Json[];
    expect(keysOf(output[0])).toEqual(keysOf(fixture.output[0]));
    expect(output).toEqual([
      { id: expect.stringMatching(/^fc_/), type: 'function_call', status: 'completed', arguments: '{"location":"San Francisco, CA"}', call_id: expect.stringMatching(/^call_\w{24}$/), name: 'get_weather_at_location' },
      { id: expect.stringMatching(/^fc_/), type: 'function_call', status: 'completed', arguments: '{"oops', call_id: 'call_fixed', name: 'other' },
    ]);
    expect(body).toMatchObject({ status: 'completed', tools: [WEATHER_TOOL], store: true });
  });

  it('returns reasoning as a reasoning item with summary and encrypted_content, before the message', async () => {
    const model = uniqueModel('o-resp-reasoning');
    mock.provider.script(model, [{ reasoning: 'Think first.', text: 'Done.', usage: { input: 10, output: 79, reasoning: 64 } }]);
    const { body } = await mock.postJson('/v1/responses', { model, input, include: ['reasoning.encrypted_content'] });
    const [reasoning, message] = body.output as Json[];
    const fixture = readJsonc('openai-responses/responses-response-reasoning-encrypted_content.jsonc') as { output: Json[] };
    expect(keysOf(reasoning)).toEqual(keysOf(fixture.output[0]));
    expect(reasoning).toEqual({ id: expect.stringMatching(/^rs_/), type: 'reasoning', encrypted_content: mockEncryptedReasoning('Think first.'), summary: [{ type: 'summary_text', text: 'Think first.' }] });
    expect(message).toMatchObject({ type: 'message', content: [{ text: 'Done.' }] });
    expect(body.usage).toEqual({ input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 79, output_tokens_details: { reasoning_tokens: 64 }, total_tokens: 89 });
  });

  it('answers finish length as the recorded incomplete response', async () => {
    const model = uniqueModel('gpt-resp-length');
    mock.provider.script(model, [{ text: 'Mango sun-kissed', finishReason: 'length' }]);
    const { body } = await mock.postJson('/v1/responses', { model, input, max_output_tokens: 20 });
    expect(body).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, max_output_tokens: 20, output: [{ status: 'incomplete' }] });
  });

  it('answers a scripted status with OpenAI’s error body, and a non-object body with a 400', async () => {
    const model = uniqueModel('gpt-resp-429');
    mock.provider.script(model, [{ status: 429 }]);
    const limited = await mock.postJson('/v1/responses', { model, input });
    expect(limited.status).toBe(429);
    expect(schemaErrors('ErrorResponse', limited.body)).toEqual([]);
    expect((await mock.post('/v1/responses', '[1]')).status).toBe(400);
  });

  it('serves Azure’s v1 route with the deployment as the body’s model, and records both as openai-responses', async () => {
    const model = uniqueModel('azure-resp');
    mock.provider.script(model, [{ text: 'from azure' }]);
    const { body } = await mock.postJson('/openai/v1/responses', { model, input }, { 'api-key': 'az-key' });
    expect(body).toMatchObject({ model, output: [{ content: [{ text: 'from azure' }] }] });
    expect(mock.provider.requests.find((request) => request.model === model)).toMatchObject({ path: '/openai/v1/responses', format: 'openai-responses', headers: expect.objectContaining({ 'api-key': 'az-key' }), body: { model, input } });
  });

  it('plays the agent model: calls the first function tool on a user turn, quotes the function_call_output after', async () => {
    const model = uniqueModel('agent-resp');
    const first = await mock.postJson('/v1/responses', { model, input: 'Lisbon', tools: [WEATHER_TOOL] });
    expect(first.body.output).toEqual([expect.objectContaining({ type: 'function_call', name: 'get_weather_at_location', arguments: '{"location":"Lisbon"}' })]);
    const next = await mock.postJson('/v1/responses', { model, input: [{ type: 'function_call_output', call_id: 'call_1', output: 'sunny' }], tools: [WEATHER_TOOL] });
    expect(next.body.output).toEqual([expect.objectContaining({ content: [expect.objectContaining({ text: 'The tool answered: sunny' })] })]);
  });
});

describe('openai responses wire: streams', () => {
  it('streams text with the recorded event sequence, gapless sequence numbers and no [DONE]; events valid but for the recorded departures from the spec', async () => {
    const model = uniqueModel('gpt-resp-stream');
    mock.provider.script(model, [{ text: 'Hello! How can I assist you today?', chunkSize: 4 }]);
    const { text, frames, headers } = await mock.postSse('/v1/responses', { model, input, stream: true });
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(text).not.toContain('[DONE]');
    const events = eventsOf(frames);
    const recorded = eventsOf(readSseFixture('openai-responses/responses-stream-text.sse'));
    expect(events.map((event) => event.type)).toEqual(recorded.map((event) => event.type));
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_event, index) => index));
    expect(keysByType(events)).toEqual(keysByType(recorded));
    expect(events.filter((event) => event.type === 'response.output_text.delta').map((event) => event.delta).join('')).toBe('Hello! How can I assist you today?');
    const created = events[0]?.response as Json;
    expect(created).toMatchObject({ status: 'in_progress', output: [], usage: null, service_tier: 'auto' });
    expect((events.at(-1)?.response as Json).service_tier).toBe('default');
    for (const event of events) expect(schemaErrors('ResponseStreamEvent', asSpecEvent(event))).toEqual([]);
  });

  it('streams a function call with the recorded event sequence: arguments deltas by item_id, .done without name', async () => {
    const model = uniqueModel('gpt-resp-stream-tools');
    mock.provider.script(model, [{ toolCalls: [{ name: 'get_weather_at_location', arguments: '{"location":"San Francisco, CA"}' }], chunkSize: 4 }]);
    const events = eventsOf((await mock.postSse('/v1/responses', { model, input, tools: [WEATHER_TOOL], stream: true })).frames);
    const recorded = eventsOf(readSseFixture('openai-responses/responses-stream-function_call.sse'));
    expect(events.map((event) => event.type)).toEqual(recorded.map((event) => event.type));
    expect(keysByType(events)).toEqual(keysByType(recorded));
    const added = events[2]?.item as Json;
    expect(added).toMatchObject({ type: 'function_call', status: 'in_progress', arguments: '', name: 'get_weather_at_location', call_id: expect.stringMatching(/^call_/) });
    expect(events.filter((event) => event.type === 'response.function_call_arguments.delta').every((event) => event.item_id === added.id)).toBe(true);
    for (const event of events) expect(schemaErrors('ResponseStreamEvent', asSpecEvent(event))).toEqual([]);
  });

  it('streams reasoning summary events, the final encrypted_content only in output_item.done', async () => {
    const model = uniqueModel('o-resp-stream-reasoning');
    mock.provider.script(model, [{ reasoning: 'Add, then multiply.', toolCalls: [{ name: 'calculator', arguments: '{"a":12}' }] }]);
    const events = eventsOf((await mock.postSse('/v1/responses', { model, input, stream: true })).frames);
    const recorded = (readJsonc('openai-responses/responses-stream-reasoning-summary-function_call.chunks.jsonc') as Json[]);
    const types = events.map((event) => event.type);
    expect(types.slice(0, 4)).toEqual(recorded.slice(0, 4).map((event) => event.type));
    expect(types).toContain('response.reasoning_summary_text.done');
    expect(keysByType(events).get('response.reasoning_summary_text.delta')).toEqual(keysByType(recorded).get('response.reasoning_summary_text.delta'));
    const items = events.filter((event) => (event.item as Json | undefined)?.type === 'reasoning').map((event) => event.item as Json);
    expect(items[0]?.encrypted_content).not.toBe(items[1]?.encrypted_content);
    expect(items[1]?.encrypted_content).toBe(mockEncryptedReasoning('Add, then multiply.'));
    for (const event of events) expect(schemaErrors('ResponseStreamEvent', asSpecEvent(event))).toEqual([]);
  });

  it('ends a length-limited stream with response.incomplete', async () => {
    const model = uniqueModel('gpt-resp-stream-length');
    mock.provider.script(model, [{ text: 'cut short', finishReason: 'length' }]);
    const events = eventsOf((await mock.postSse('/v1/responses', { model, input, stream: true })).frames);
    expect(events.at(-1)).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
  });

  it('sends the recorded error then response.failed after the scripted content chunks, numbered on', async () => {
    const model = uniqueModel('gpt-resp-stream-error');
    mock.provider.script(model, [{ text: 'abcdefgh', chunkSize: 4, errorEventAfterChunks: 1 }]);
    const events = eventsOf((await mock.postSse('/v1/responses', { model, input, stream: true })).frames);
    expect(events.map((event) => event.type)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'error', 'response.failed']);
    expect(events.map((event) => event.sequence_number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const recorded = readJsonc('openai-responses/responses-stream-error-then-failed.chunks.jsonc') as Json[];
    expect(keysOf(events[5])).toEqual(keysOf(recorded[2]));
    expect(keysOf(events[5]?.error)).toEqual(keysOf(recorded[2]?.error));
    expect(events[6]?.response).toMatchObject({ status: 'failed', error: { code: 'server_error' }, usage: null });
  });

  it('uses a scripted errorBody as the error event, and carries its code into response.failed', async () => {
    const model = uniqueModel('gpt-resp-stream-quota');
    const errorBody = { type: 'error', error: { type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota.', param: null } };
    mock.provider.script(model, [{ errorEventAfterChunks: 0, errorBody }]);
    const events = eventsOf((await mock.postSse('/v1/responses', { model, input, stream: true })).frames);
    expect(events.at(-2)).toEqual({ ...errorBody, sequence_number: events.length - 2 });
    expect(events.at(-1)?.response).toMatchObject({ error: { code: 'insufficient_quota', message: 'You exceeded your current quota.' } });
  });
});
