import { ProviderHttpError, ProviderUnreachableError, type StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { ChatResultBuilder } from '../src/fold-stream-events.ts';
import { createAnthropicStreamDecoder } from '../src/anthropic/index.ts';
import { parseSse, readFixture } from './load-fixture.ts';

/**
 * Feeds every frame of a fixture to a fresh decoder, as the provider adapter does. Two SDK fixtures
 * end without the final blank line; the adapter's parser flushes the last event at end of body
 * (`reset({ consume: true })`), which the appended blank line stands in for.
 */
function replay(fixture: string): { events: StreamEvent[]; done: boolean } {
  const decoder = createAnthropicStreamDecoder('anthropic');
  const events = parseSse(`${readFixture(fixture)}\n\n`).flatMap((frame) => decoder.decode(frame.data, frame.event));
  return { events, done: decoder.done };
}

function fold(events: StreamEvent[]) {
  const builder = new ChatResultBuilder();
  for (const event of events) builder.push(event);
  return builder.result();
}

const start = (id: string, model: string) => ({ type: 'response-start', id, model, created: expect.any(Number) });

describe('anthropic codec › stream decode › basic text', () => {
  const { events, done } = replay('anthropic/messages-stream-basic-text.sse');

  it('emits response-start, one text-delta per text_delta, finish and usage; ping is ignored', () => {
    expect(events).toEqual([
      start('msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK', 'claude-3-opus-latest'),
      { type: 'text-delta', delta: 'Hello' },
      { type: 'text-delta', delta: ' there' },
      { type: 'text-delta', delta: '!' },
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'end_turn' },
      // message_start input 11 + message_delta output 6; no cache fields in this recording.
      { type: 'usage', usage: { inputTokens: 11, outputTokens: 6 } },
    ]);
    expect(done).toBe(true);
  });
});

describe('anthropic codec › stream decode › text then tool_use (SDK fixture)', () => {
  const { events, done } = replay('anthropic/messages-stream-text-then-tool_use.sse');

  it('emits text, then a tool call numbered 0 (not block index 1), skipping the empty first input_json_delta', () => {
    expect(events).toEqual([
      start('msg_019Q1hrJbZG26Fb9BQhrkHEr', 'claude-sonnet-4-20250514'),
      { type: 'text-delta', delta: 'I' },
      { type: 'text-delta', delta: "'ll check the current weather in Paris for you." },
      { type: 'tool-call-start', index: 0, id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn', name: 'get_weather' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"locati' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'on": "P' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'ar' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'is"}' },
      { type: 'tool-call-end', index: 0 },
      { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_use' },
      { type: 'usage', usage: { inputTokens: 377, outputTokens: 65, cachedInputTokens: 0, cacheWriteInputTokens: 0 } },
    ]);
    expect(done).toBe(true);
  });

  it('folds into a text part and a tool-call part', () => {
    expect(fold(events).choices).toEqual([
      {
        index: 0,
        content: [
          { type: 'text', text: "I'll check the current weather in Paris for you." },
          { type: 'tool-call', id: 'toolu_01NRLabsLyVHZPKxbKvkfSMn', name: 'get_weather', arguments: '{"location": "Paris"}' },
        ],
        finishReason: 'tool-calls',
        rawFinishReason: 'tool_use',
      },
    ]);
  });
});

describe('anthropic codec › stream decode › live tool_use recording (trailing-space padded)', () => {
  const text = readFixture('anthropic/messages-stream-tool_use-recorded.sse');
  const { events, done } = replay('anthropic/messages-stream-tool_use-recorded.sse');

  it('really is padded: data lines end in spaces after the JSON', () => {
    expect(text).toMatch(/"index":0 {13}\}\r?\n/);
  });

  it('reassembles the recorded arguments exactly', () => {
    const args = events
      .filter((event): event is Extract<StreamEvent, { type: 'tool-call-delta' }> => event.type === 'tool-call-delta')
      .map((event) => event.argumentsDelta)
      .join('');
    expect(args).toBe('{"location": "San Francisco, CA", "units": "f"}');
    expect(JSON.parse(args)).toEqual({ location: 'San Francisco, CA', units: 'f' });
  });

  it('frames the call with one start and one end, then finish and usage from the repeated message_delta counts', () => {
    const shape = events.filter((event) => event.type !== 'tool-call-delta');
    expect(shape).toEqual([
      start('msg_01AusY9WEbCaj3N7Tv5J4YjH', 'claude-haiku-4-5-20251001'),
      { type: 'tool-call-start', index: 0, id: 'toolu_018acGYLtfR52q9yDbWaEdQZ', name: 'get_weather' },
      { type: 'tool-call-end', index: 0 },
      { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_use' },
      // message_start said output 26; message_delta's 74 is the final count.
      { type: 'usage', usage: { inputTokens: 656, outputTokens: 74, cachedInputTokens: 0, cacheWriteInputTokens: 0 } },
    ]);
    expect(done).toBe(true);
  });
});

describe('anthropic codec › stream decode › thinking then text', () => {
  const { events, done } = replay('anthropic/messages-stream-thinking-text.sse');
  const SIGNATURE = 'c3ludGhldGljLXNpZ25hdHVyZS1maXh0dXJlLWEtbm90LWEtcmVhbC1zaWduYXR1cmU=';
  const THINKING =
    'Simple educational question about what a solar eclipse is. This is benign general knowledge \u2014 definitions are fine. Also the user called me "claudius" \u2014 I\'m Claude. Minor correction or just roll with it politely.';

  it('emits reasoning deltas, skips the empty thinking_delta, and sends the signature as an empty reasoning delta', () => {
    const reasoning = events.filter((event) => event.type === 'reasoning-delta');
    expect(reasoning).toHaveLength(4);
    expect(reasoning.at(-1)).toEqual({ type: 'reasoning-delta', delta: '', signature: SIGNATURE });
    expect(reasoning.every((event) => event.delta !== '' || 'signature' in event)).toBe(true);
  });

  it('maps refusal to content-filter and reads thinking tokens into reasoningTokens', () => {
    expect(events.slice(-3)).toEqual([
      { type: 'text-delta', delta: 'Hi' },
      { type: 'finish', finishReason: 'content-filter', rawFinishReason: 'refusal' },
      { type: 'usage', usage: { inputTokens: 28, outputTokens: 106, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 67 } },
    ]);
    expect(done).toBe(true);
  });

  it('folds into a signed reasoning part before the text', () => {
    expect(fold(events).choices[0]?.content).toEqual([
      { type: 'reasoning', text: THINKING, signature: SIGNATURE },
      { type: 'text', text: 'Hi' },
    ]);
  });
});

describe('anthropic codec › stream decode › errors', () => {
  it('throws a retryable ProviderHttpError with upstream status 529 for an overloaded_error event', () => {
    const decoder = createAnthropicStreamDecoder('claude');
    const [frame] = parseSse(readFixture('anthropic/messages-stream-error-event.sse'));
    expect(frame?.event).toBe('error');
    let caught: unknown;
    try {
      decoder.decode(frame!.data, frame!.event);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProviderHttpError);
    expect(caught).toMatchObject({ provider: 'claude', upstreamStatus: 529, status: 502, retryable: true, body: { error: { type: 'overloaded_error' } } });
    expect((caught as Error).message).toBe('provider claude failed mid-stream: overloaded_error: Overloaded');
  });

  it.each([
    ['rate_limit_error', 429, 429],
    ['api_error', 500, 502],
    ['invalid_request_error', 500, 502],
  ])('maps an in-stream %s to upstream status %i', (type, upstreamStatus, status) => {
    const decoder = createAnthropicStreamDecoder('anthropic');
    expect(() => decoder.decode(JSON.stringify({ type: 'error', error: { type, message: 'x' } }), 'error')).toThrow(
      expect.objectContaining({ upstreamStatus, status, retryable: true }),
    );
  });

  it('throws ProviderUnreachableError for a frame that is not JSON', () => {
    const decoder = createAnthropicStreamDecoder('anthropic');
    expect(() => decoder.decode('{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":', 'content_block_delta')).toThrow(
      ProviderUnreachableError,
    );
  });

  it('skips event types it does not know yet', () => {
    const decoder = createAnthropicStreamDecoder('anthropic');
    expect(decoder.decode('{"type":"message_annotation","payload":1}', 'message_annotation')).toEqual([]);
  });
});

describe('anthropic codec › stream decode › block kinds the fixtures lack', () => {
  const frames = [
    { type: 'message_start', message: { id: 'msg_1', model: 'claude-x', usage: { input_tokens: 10, cache_read_input_tokens: 90, cache_creation_input_tokens: 5, output_tokens: 1 } } },
    { type: 'content_block_start', index: 0, content_block: { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3p' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_a', name: 'now', input: {} } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } },
    { type: 'content_block_stop', index: 1 },
    { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_b', name: 'add', input: {} } },
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } },
    { type: 'content_block_stop', index: 2 },
    { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 30 } },
    { type: 'message_stop' },
  ];
  const decoder = createAnthropicStreamDecoder('anthropic');
  const events = frames.flatMap((payload) => decoder.decode(JSON.stringify(payload)));

  it('emits redacted thinking as a reasoning delta carrying redactedData', () => {
    expect(events[1]).toEqual({ type: 'reasoning-delta', delta: '', redactedData: 'EmwKAhgBEgy3va3p' });
  });

  it('numbers tool calls 0 and 1 and gives an argument-less call "{}"', () => {
    expect(events.filter((event) => event.type.startsWith('tool-call'))).toEqual([
      { type: 'tool-call-start', index: 0, id: 'toolu_a', name: 'now' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' },
      { type: 'tool-call-end', index: 0 },
      { type: 'tool-call-start', index: 1, id: 'toolu_b', name: 'add' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{"a":1}' },
      { type: 'tool-call-end', index: 1 },
    ]);
  });

  it('counts cache reads and writes into inputTokens', () => {
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { inputTokens: 105, outputTokens: 30, cachedInputTokens: 90, cacheWriteInputTokens: 5 } });
  });
});
