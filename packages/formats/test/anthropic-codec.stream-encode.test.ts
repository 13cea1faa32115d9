import {
  AuthenticationError,
  GatewayError,
  InvalidRequestError,
  NotFoundError,
  ProviderHttpError,
  ProviderTimeoutError,
  RequestTooLargeError,
  UnavailableError,
  toGatewayError,
  type StreamEvent,
} from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { createAnthropicStreamDecoder, createAnthropicStreamEncoder, encodeAnthropicError } from '../src/anthropic/index.ts';
import { createOpenAIStreamDecoder } from '../src/openai/index.ts';
import { parseSse, readFixture } from './load-fixture.ts';

interface WireEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Every frame of an Anthropic SSE text (blank line appended: two SDK fixtures lack the last one). */
function wireEvents(sse: string): WireEvent[] {
  return parseSse(`${sse}\n\n`).map((frame) => ({ event: frame.event, data: JSON.parse(frame.data) as Record<string, unknown> }));
}

/**
 * Checks the sequence rules Anthropic's SDK stream accumulators rely on, and rebuilds the message
 * content as they do: message_start first; blocks indexed 0, 1, 2… each started, fed only deltas of
 * its own kind and stopped before the next starts; message_delta then message_stop last.
 */
function accumulate(events: WireEvent[]): Record<string, unknown> & { content: Record<string, unknown>[] } {
  expect(events.every((event) => event.event === event.data.type)).toBe(true);
  const names = events.map((event) => event.event).filter((name) => name !== 'ping');
  expect(names[0]).toBe('message_start');
  expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
  expect(names.filter((name) => name === 'message_start' || name === 'message_delta' || name === 'message_stop')).toHaveLength(3);

  const blocks: Record<string, unknown>[] = [];
  const json: string[] = [];
  let open = -1;
  let message: Record<string, unknown> = {};
  for (const { event, data } of events) {
    if (event === 'message_start') message = { ...(data.message as object) };
    if (event === 'content_block_start') {
      expect(open, 'a block was still open').toBe(-1);
      expect(data.index).toBe(blocks.length);
      open = data.index as number;
      blocks.push({ ...(data.content_block as object) });
      json.push('');
    }
    if (event === 'content_block_delta') {
      expect(data.index).toBe(open);
      const block = blocks[open]!;
      const delta = data.delta as Record<string, string>;
      const allowed = { text: ['text_delta'], tool_use: ['input_json_delta'], thinking: ['thinking_delta', 'signature_delta'] }[block.type as 'text'];
      expect(allowed, `${delta.type} in a ${String(block.type)} block`).toContain(delta.type);
      if (delta.type === 'text_delta') block.text = `${String(block.text)}${delta.text}`;
      if (delta.type === 'thinking_delta') block.thinking = `${String(block.thinking)}${delta.thinking}`;
      if (delta.type === 'signature_delta') block.signature = delta.signature;
      if (delta.type === 'input_json_delta') json[open] += delta.partial_json!;
    }
    if (event === 'content_block_stop') {
      expect(data.index).toBe(open);
      if (blocks[open]!.type === 'tool_use' && json[open] !== '') blocks[open]!.input = JSON.parse(json[open]!);
      open = -1;
    }
    if (event === 'message_delta') message = { ...message, ...(data.delta as object), usage: data.usage };
  }
  expect(open, 'a block was never stopped').toBe(-1);
  return { ...message, content: blocks };
}

function encodeAll(events: StreamEvent[], model?: string): string {
  const encoder = createAnthropicStreamEncoder(model === undefined ? {} : { model });
  return events.map((event) => encoder.encode(event)).join('') + encoder.end();
}

function decodeOpenAI(fixture: string): StreamEvent[] {
  const decoder = createOpenAIStreamDecoder('openai');
  return parseSse(readFixture(fixture)).flatMap((frame) => decoder.decode(frame.data));
}

function decodeAnthropic(sse: string): StreamEvent[] {
  const decoder = createAnthropicStreamDecoder('anthropic');
  return parseSse(`${sse}\n\n`).flatMap((frame) => decoder.decode(frame.data, frame.event));
}

describe('anthropic codec › stream encode › OpenAI recordings', () => {
  it('encodes the parallel tool calls recording as two tool_use blocks whose input JSON reassembles exactly', () => {
    const message = accumulate(wireEvents(encodeAll(decodeOpenAI('openai/chat-stream-parallel-tool_calls-usage.sse'), 'claude-alias')));
    expect(message).toMatchObject({ id: 'chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63', model: 'claude-alias', stop_reason: 'tool_use' });
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_JMW1whyEaYG438VE1OIflxA2', name: 'GetWeatherArgs', input: { city: 'Edinburgh', country: 'GB', units: 'c' } },
      { type: 'tool_use', id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou', name: 'get_stock_price', input: { ticker: 'AAPL', exchange: 'NASDAQ' } },
    ]);
    expect(message.usage).toEqual({ input_tokens: 149, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 60 });
  });

  it('streams the tool arguments as the same pieces OpenAI sent', () => {
    const sse = encodeAll(decodeOpenAI('openai/chat-stream-parallel-tool_calls-usage.sse'));
    const pieces = wireEvents(sse)
      .filter((event) => event.event === 'content_block_delta' && event.data.index === 1)
      .map((event) => (event.data.delta as { partial_json: string }).partial_json);
    expect(pieces.join('')).toBe('{"ticker": "AAPL", "exchange": "NASDAQ"}');
    expect(pieces).toHaveLength(9);
  });

  it('encodes the text recording as one text block with end_turn', () => {
    const message = accumulate(wireEvents(encodeAll(decodeOpenAI('openai/chat-stream-text-usage.sse'))));
    expect(message).toMatchObject({ model: 'gpt-4o-2024-08-06', stop_reason: 'end_turn', usage: { input_tokens: 14, output_tokens: 30 } });
    expect(message.content).toEqual([
      {
        type: 'text',
        text: "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.",
      },
    ]);
  });

  it('writes `event:` + `data:` frames separated by blank lines', () => {
    const sse = encodeAll(decodeOpenAI('openai/chat-stream-text-usage.sse'));
    expect(sse.split('\n\n').filter((frame) => frame !== '').every((frame) => /^event: [a-z_]+\ndata: \{.*\}$/s.test(frame))).toBe(true);
  });
});

describe.each([
  'anthropic/messages-stream-basic-text.sse',
  'anthropic/messages-stream-text-then-tool_use.sse',
  'anthropic/messages-stream-tool_use-recorded.sse',
  'anthropic/messages-stream-thinking-text.sse',
])('anthropic codec › stream re-encode › %s', (fixture) => {
  const recorded = wireEvents(readFixture(fixture));
  const reEncoded = wireEvents(encodeAll(decodeAnthropic(readFixture(fixture))));

  it('rebuilds the same message content, stop reason and final counts as the recording', () => {
    const original = accumulate(recorded);
    const again = accumulate(reEncoded);
    // Gantry does not repeat `caller` on tool_use starts.
    const withoutCaller = original.content.map(({ caller: _caller, ...block }) => block);
    expect(again.content).toEqual(withoutCaller);
    expect(again).toMatchObject({ id: original.id, model: original.model, stop_reason: original.stop_reason });
    const usage = original.usage as { output_tokens: number };
    expect((again.usage as { output_tokens: number }).output_tokens).toBe(usage.output_tokens);
  });

  it('keeps the recorded block indices and delta pieces (less the empty ones and pings)', () => {
    const deltas = (events: WireEvent[]) =>
      events
        .filter((event) => event.event === 'content_block_delta')
        .map((event) => event.data)
        .filter((data) => !Object.values(data.delta as object).includes(''));
    expect(deltas(reEncoded)).toEqual(deltas(recorded));
  });
});

describe('anthropic codec › stream encode › events from other upstreams', () => {
  it('holds text that arrives while a tool call is open and replays it after the call ends', () => {
    const events: StreamEvent[] = [
      { type: 'response-start', id: 'x', model: 'gemini-2.5-flash', created: 1 },
      { type: 'text-delta', delta: 'Checking.' },
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'f' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"a":' },
      { type: 'text-delta', delta: ' (one moment)' },
      { type: 'tool-call-start', index: 1, id: 'call_b', name: 'g' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{}' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '1}' },
      { type: 'tool-call-end', index: 0 },
      { type: 'tool-call-end', index: 1 },
      { type: 'finish', finishReason: 'tool-calls' },
    ];
    const message = accumulate(wireEvents(encodeAll(events)));
    expect(message.content).toEqual([
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'call_a', name: 'f', input: { a: 1 } },
      { type: 'text', text: ' (one moment)' },
      { type: 'tool_use', id: 'call_b', name: 'g', input: {} },
    ]);
    expect(message).toMatchObject({ stop_reason: 'tool_use', usage: { output_tokens: 0 } });
  });

  it('closes a tool call that never got its end when the response finishes', () => {
    const events: StreamEvent[] = [
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'f' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"q":"x"}' },
      { type: 'text-delta', delta: 'done' },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } },
    ];
    const message = accumulate(wireEvents(encodeAll(events)));
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_a', name: 'f', input: { q: 'x' } },
      { type: 'text', text: 'done' },
    ]);
    expect(message.usage).toEqual({ input_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 2 });
  });

  it('starts a new thinking block after a signature, and writes redacted thinking as its own block', () => {
    const events: StreamEvent[] = [
      { type: 'response-start', id: 'msg', model: 'm', created: 1 },
      { type: 'reasoning-delta', delta: 'first' },
      { type: 'reasoning-delta', delta: '', signature: 'sig1' },
      { type: 'reasoning-delta', delta: '', redactedData: 'opaque' },
      { type: 'reasoning-delta', delta: 'second' },
      { type: 'text-delta', delta: 'answer' },
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'end_turn' },
      { type: 'usage', usage: { inputTokens: 100, outputTokens: 20, cachedInputTokens: 60, cacheWriteInputTokens: 30, reasoningTokens: 12 } },
    ];
    const message = accumulate(wireEvents(encodeAll(events)));
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'first', signature: 'sig1' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'thinking', thinking: 'second', signature: '' },
      { type: 'text', text: 'answer' },
    ]);
    expect(message.usage).toEqual({ input_tokens: 10, cache_creation_input_tokens: 30, cache_read_input_tokens: 60, output_tokens: 20 });
  });

  it('ignores choices other than 0 and sends nothing after message_stop', () => {
    const encoder = createAnthropicStreamEncoder();
    encoder.encode({ type: 'response-start', id: 'x', model: 'm', created: 1 });
    expect(encoder.encode({ type: 'text-delta', choiceIndex: 1, delta: 'other choice' })).toBe('');
    encoder.encode({ type: 'finish', finishReason: 'stop' });
    expect(encoder.encode({ type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } })).toContain('event: message_stop');
    expect(encoder.end()).toBe('');
    expect(encoder.encode({ type: 'text-delta', delta: 'late' })).toBe('');
  });
});

describe('anthropic codec › errors', () => {
  it.each<[string, GatewayError, string]>([
    ['invalid request', new InvalidRequestError('messages: required', { param: 'messages' }), 'invalid_request_error'],
    ['request too large', new RequestTooLargeError('too big'), 'request_too_large'],
    ['authentication', new AuthenticationError('missing key'), 'authentication_error'],
    ['not found', new NotFoundError('no model claude-9'), 'not_found_error'],
    ['upstream 429', new ProviderHttpError('anthropic', 429, 'slow down', null), 'rate_limit_error'],
    ['upstream 529', new ProviderHttpError('anthropic', 529, 'overloaded', null), 'overloaded_error'],
    ['upstream 500', new ProviderHttpError('openai', 500, 'boom', null), 'api_error'],
    ['upstream 400', new ProviderHttpError('openai', 400, 'bad', null), 'invalid_request_error'],
    ['timeout', new ProviderTimeoutError('anthropic', 'no answer in 60 s'), 'timeout_error'],
    ['unavailable', new UnavailableError('no healthy target'), 'overloaded_error'],
    ['unclassified', toGatewayError(new TypeError('x is undefined')), 'api_error'],
  ])('encodes %s with Anthropic’s error type', (_label, error, type) => {
    expect(encodeAnthropicError(error)).toEqual({ type: 'error', error: { type, message: error.message } });
  });

  it('writes a mid-stream error as the frame the recorded stream shows', () => {
    const frame = createAnthropicStreamEncoder().error(new ProviderHttpError('anthropic', 529, 'Overloaded', null));
    const [recorded] = parseSse(readFixture('anthropic/messages-stream-error-event.sse'));
    const [encoded] = parseSse(frame);
    expect(encoded?.event).toBe('error');
    expect(Object.keys(JSON.parse(encoded!.data) as object)).toEqual(Object.keys(JSON.parse(recorded!.data) as object));
    expect(JSON.parse(encoded!.data)).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });
});
