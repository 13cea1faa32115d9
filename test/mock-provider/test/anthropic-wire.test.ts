import { describe, expect, it } from 'vitest';
import { keysOf, readJsonc, readSseFixture, type SseFrame, uniqueModel, useMockProvider } from './wire-test-kit.ts';

const mock = useMockProvider();
const messages = [{ role: 'user', content: 'What is the weather in SF?' }];

type Event = { type: string; index?: number; delta?: Record<string, unknown>; content_block?: Record<string, unknown>; message?: Record<string, unknown>; usage?: Record<string, unknown> };

/** Event names with runs of deltas collapsed, so streams of different lengths compare by structure. */
function structure(frames: SseFrame[]): string[] {
  const names: string[] = [];
  for (const frame of frames) {
    const event = JSON.parse(frame.data) as Event;
    const name = event.type === 'content_block_delta' ? `delta:${String(event.delta?.type)}` : event.type;
    if (names.at(-1) !== name) names.push(name);
  }
  return names;
}

function eventsOf(frames: SseFrame[]): Event[] {
  return frames.map((frame) => {
    const event = JSON.parse(frame.data) as Event;
    // every frame names its event, and the name repeats the data's type
    expect(frame.event).toBe(event.type);
    return event;
  });
}

describe('anthropic wire: messages', () => {
  it('answers text and tool_use blocks with the recorded message envelope', async () => {
    const model = uniqueModel('claude');
    mock.provider.script(model, [{ text: 'Let me check.', toolCalls: [{ name: 'get_weather', arguments: '{"location": "San Francisco, CA", "units": "f"}' }] }]);
    const { status, body, headers } = await mock.postJson('/v1/messages', { model, max_tokens: 1024, messages }, { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' });
    expect(status).toBe(200);
    const fixture = readJsonc('anthropic/messages-response-text-and-tool_use.jsonc') as Record<string, Record<string, unknown>[]>;
    expect(keysOf(body)).toEqual(keysOf(fixture));
    expect(keysOf(body.usage)).toEqual(keysOf(fixture.usage));
    const content = body.content as Record<string, unknown>[];
    expect(content.map((block) => keysOf(block))).toEqual(fixture.content?.map((block) => keysOf(block)));
    expect(content[1]).toEqual({ type: 'tool_use', id: expect.stringMatching(/^toolu_01\w{22}$/), name: 'get_weather', input: { location: 'San Francisco, CA', units: 'f' }, caller: { type: 'direct' } });
    expect(body).toMatchObject({ id: expect.stringMatching(/^msg_/), type: 'message', role: 'assistant', model, stop_reason: 'tool_use', stop_sequence: null });
    expect(headers.get('request-id')).toMatch(/^req_/);
    expect(mock.provider.requests.at(-1)?.headers['x-api-key']).toBe('sk-ant-test');
  });

  it('maps finish reasons and splits cached input out of input_tokens', async () => {
    const model = uniqueModel('claude-usage');
    mock.provider.script(model, [{ finishReason: 'length', usage: { input: 100, output: 9, cachedInput: 60 } }, { finishReason: 'content_filter' }]);
    const first = await mock.postJson('/v1/messages', { model, max_tokens: 10, messages });
    expect(first.body.stop_reason).toBe('max_tokens');
    expect(first.body.usage).toMatchObject({ input_tokens: 40, cache_read_input_tokens: 60, cache_creation_input_tokens: 0, output_tokens: 9 });
    const second = await mock.postJson('/v1/messages', { model, max_tokens: 10, messages });
    expect(second.body.stop_reason).toBe('refusal');
  });

  it('streams text then tool_use with the recorded event sequence', async () => {
    const model = uniqueModel('claude-stream');
    const toolArguments = '{"location": "Paris"}';
    mock.provider.script(model, [{ text: "I'll check the current weather in Paris for you.", toolCalls: [{ name: 'get_weather', arguments: toolArguments }] }]);
    const { frames, headers } = await mock.postSse('/v1/messages', { model, max_tokens: 1024, messages, stream: true });
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    const fixtureFrames = readSseFixture('anthropic/messages-stream-text-then-tool_use.sse');
    expect(structure(frames)).toEqual(structure(fixtureFrames));

    const events = eventsOf(frames);
    const fixtureEvents = eventsOf(fixtureFrames);
    expect(keysOf(events[0]?.message)).toEqual(keysOf(fixtureEvents[0]?.message));
    expect(keysOf(events[0]?.message?.usage)).toEqual(expect.arrayContaining(keysOf(fixtureEvents[0]?.message?.usage)));
    expect(frames[2]).toEqual(fixtureFrames[2]);
    const toolStart = events.find((event) => event.content_block?.type === 'tool_use');
    expect(keysOf(toolStart?.content_block)).toEqual(keysOf(fixtureEvents.find((event) => event.content_block?.type === 'tool_use')?.content_block));
    expect(toolStart).toMatchObject({ index: 1, content_block: { name: 'get_weather', input: {}, caller: { type: 'direct' } } });
    const pieces = events.filter((event) => event.delta?.type === 'input_json_delta').map((event) => event.delta?.partial_json);
    expect(pieces[0]).toBe('');
    expect(pieces.join('')).toBe(toolArguments);
    const text = events.filter((event) => event.delta?.type === 'text_delta').map((event) => event.delta?.text).join('');
    expect(text).toBe("I'll check the current weather in Paris for you.");
    const messageDelta = events.find((event) => event.type === 'message_delta');
    expect(messageDelta?.delta).toEqual({ stop_reason: 'tool_use', stop_sequence: null });
    expect(messageDelta?.usage).toHaveProperty('output_tokens');
  });

  it('streams a thinking block with a signature before the text', async () => {
    const model = uniqueModel('claude-thinking');
    mock.provider.script(model, [{ reasoning: 'Simple educational question.', text: 'Hi' }]);
    const { frames } = await mock.postSse('/v1/messages', { model, max_tokens: 1024, messages, stream: true });
    const fixtureStructure = structure(readSseFixture('anthropic/messages-stream-thinking-text.sse'));
    expect(structure(frames)).toEqual(fixtureStructure);
    const events = eventsOf(frames);
    expect(events[1]?.content_block).toEqual({ type: 'thinking', thinking: '', signature: '' });
    expect(events.filter((event) => event.delta?.type === 'thinking_delta').map((event) => event.delta?.thinking).join('')).toBe('Simple educational question.');

    const whole = await mock.postJson('/v1/messages', { model, max_tokens: 1024, messages });
    expect(whole.body.content).toEqual([{ type: 'thinking', thinking: 'Simple educational question.', signature: expect.any(String) }, { type: 'text', text: 'Hi' }]);
  });

  it('sends the recorded overloaded error event mid-stream', async () => {
    const model = uniqueModel('claude-stream-error');
    mock.provider.script(model, [{ text: 'abcdefgh', chunkSize: 4, errorEventAfterChunks: 1 }]);
    const { frames } = await mock.postSse('/v1/messages', { model, max_tokens: 1024, messages, stream: true });
    expect(frames.at(-2)?.data).toBe(JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'abcd' } }));
    expect(frames.at(-1)).toEqual(readSseFixture('anthropic/messages-stream-error-event.sse')[0]);
  });
});

describe('anthropic wire: errors and count_tokens', () => {
  it('answers 529 and 429 with the recorded error envelope and retry hint', async () => {
    const model = uniqueModel('claude-errors');
    mock.provider.script(model, [{ status: 529 }, { status: 429 }]);
    const overloaded = await mock.postJson('/v1/messages', { model, max_tokens: 10, messages });
    expect(overloaded.status).toBe(529);
    expect(overloaded.body.error).toEqual((readJsonc('anthropic/error-529-overloaded_error.jsonc') as { error: unknown }).error);
    const limited = await mock.postJson('/v1/messages', { model, max_tokens: 10, messages });
    expect(limited.status).toBe(429);
    expect(keysOf(limited.body)).toEqual(keysOf(readJsonc('anthropic/error-429-rate_limit_error.jsonc')));
    expect(limited.body).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' }, request_id: expect.stringMatching(/^req_/) });
    expect(limited.headers.get('x-should-retry')).toBe('true');
  });

  it('rejects a body that is not JSON with an invalid_request_error', async () => {
    const { status, body, headers } = await mock.postJson('/v1/messages', 'not json');
    expect(status).toBe(400);
    expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(headers.get('x-should-retry')).toBe('false');
  });

  it('counts input tokens from the system prompt and messages', async () => {
    const { body } = await mock.postJson('/v1/messages/count_tokens', { model: uniqueModel('claude-count'), system: 'Be brief.', messages });
    // 9 + 26 characters
    expect(body).toEqual({ input_tokens: 9 });
  });
});
