import type { StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { loadSseData, parseSse } from './load-fixture.ts';
import { accumulateToolCalls, decodeOpenAIFrames, encodeOpenAIEvents, jsonChunks } from './replay-openai-stream.ts';
import { openaiSchemaErrors } from './validate-openai-schema.ts';

const STREAM_SCHEMA = 'CreateChatCompletionStreamResponse';

/** What a client gets from Gantry when the upstream sent `fixture`. */
function replay(fixture: string, includeUsage: boolean) {
  const recorded = loadSseData(fixture);
  const { events } = decodeOpenAIFrames(recorded);
  const sse = encodeOpenAIEvents(events, { includeUsage });
  const payloads = parseSse(sse).map((event) => event.data);
  return { recorded, events, sse, payloads, chunks: jsonChunks(sse) };
}

/** The encoder reports usage details the canonical usage does not know as 0, as OpenAI does today. */
function withZeroCachedTokens(events: StreamEvent[]): StreamEvent[] {
  return events.map((event) =>
    event.type === 'usage' ? { type: 'usage', usage: { cachedInputTokens: 0, reasoningTokens: 0, ...event.usage } } : event,
  );
}

describe.each([
  { fixture: 'openai/chat-stream-parallel-tool_calls-usage.sse', usage: { prompt_tokens: 149, completion_tokens: 60, total_tokens: 209 } },
  { fixture: 'openai/chat-stream-text-usage.sse', usage: { prompt_tokens: 14, completion_tokens: 30, total_tokens: 44 } },
])('openai codec › stream re-encode › $fixture', ({ fixture, usage }) => {
  describe('with include_usage', () => {
    const { recorded, events, sse, payloads, chunks } = replay(fixture, true);

    it('writes blank-line separated data frames ending with [DONE]', () => {
      expect(sse.endsWith('\n\ndata: [DONE]\n\n')).toBe(true);
      expect(sse.split('\n\n').filter((frame) => frame !== '').every((frame) => frame.startsWith('data: '))).toBe(true);
      expect(payloads.at(-1)).toBe('[DONE]');
      expect(payloads.filter((payload) => payload === '[DONE]')).toHaveLength(1);
    });

    it('produces chunks that all validate against CreateChatCompletionStreamResponse', () => {
      expect(chunks.length).toBeGreaterThan(3);
      for (const [position, chunk] of chunks.entries()) {
        expect(openaiSchemaErrors(STREAM_SCHEMA, chunk), `chunk ${position}: ${JSON.stringify(chunk)}`).toEqual([]);
      }
    });

    it('repeats the recorded chunks with usage:null, then one usage chunk with choices:[]', () => {
      const recordedChunks = recorded.filter((data) => data !== '[DONE]').map((data) => JSON.parse(data) as Record<string, unknown>);
      expect(chunks).toHaveLength(recordedChunks.length);
      // The role chunk is the encoder's own (OpenAI sends `content: null` or `""` there).
      for (let position = 1; position < chunks.length - 1; position++) {
        expect(chunks[position]).toEqual({ ...recordedChunks[position], usage: null });
      }
      const last = chunks.at(-1);
      expect(last?.choices).toEqual([]);
      expect(last?.usage).toMatchObject({ ...usage, completion_tokens_details: { reasoning_tokens: 0 } });
      expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    });

    it('decodes back to the same canonical events', () => {
      const reDecoded = decodeOpenAIFrames(payloads);
      expect(reDecoded.done).toBe(true);
      expect(reDecoded.events).toEqual(withZeroCachedTokens(events));
    });
  });

  describe('without include_usage', () => {
    const { recorded, events, payloads, chunks } = replay(fixture, false);

    it('sends no usage chunk and no usage key on any chunk', () => {
      expect(chunks.every((chunk) => !('usage' in chunk))).toBe(true);
      expect(chunks.every((chunk) => Array.isArray(chunk.choices) && chunk.choices.length === 1)).toBe(true);
      for (const chunk of chunks) expect(openaiSchemaErrors(STREAM_SCHEMA, chunk)).toEqual([]);
    });

    it('reproduces the recorded frames byte for byte after the role chunk', () => {
      const recordedWithoutUsage = recorded.filter((data) => !data.includes('"choices":[]'));
      expect(payloads.slice(1)).toEqual(recordedWithoutUsage.slice(1));
    });

    it('decodes back to the same events minus usage', () => {
      expect(decodeOpenAIFrames(payloads).events).toEqual(events.filter((event) => event.type !== 'usage'));
    });
  });
});

describe('openai codec › stream re-encode › tool calls as the openai SDK accumulates them', () => {
  const fixture = 'openai/chat-stream-parallel-tool_calls-usage.sse';
  const recordedChunks = loadSseData(fixture)
    .filter((data) => data !== '[DONE]')
    .map((data) => JSON.parse(data) as Record<string, unknown>);

  it('rebuilds the recorded tool calls from the recording itself', () => {
    expect(accumulateToolCalls(recordedChunks).get(0)).toEqual([
      { id: 'call_JMW1whyEaYG438VE1OIflxA2', type: 'function', name: 'GetWeatherArgs', arguments: '{"city": "Edinburgh", "country": "GB", "units": "c"}' },
      { id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou', type: 'function', name: 'get_stock_price', arguments: '{"ticker": "AAPL", "exchange": "NASDAQ"}' },
    ]);
  });

  it.each([true, false])('rebuilds the same tool calls from the re-encoded stream (include_usage %s)', (includeUsage) => {
    const { chunks } = replay(fixture, includeUsage);
    expect(accumulateToolCalls(chunks)).toEqual(accumulateToolCalls(recordedChunks));
    // id, type and name only on each call's first chunk, as OpenAI sends them.
    const toolCallDeltas = chunks.flatMap((chunk) =>
      (chunk.choices as { delta: { tool_calls?: Record<string, unknown>[] } }[]).flatMap((choice) => choice.delta.tool_calls ?? []),
    );
    expect(toolCallDeltas.filter((delta) => 'id' in delta).map((delta) => delta.id)).toEqual([
      'call_JMW1whyEaYG438VE1OIflxA2',
      'call_DNYTawLBoN8fj3KN6qU9N1Ou',
    ]);
    expect(toolCallDeltas.filter((delta) => 'id' in delta).every((delta) => 'type' in delta && 'function' in delta)).toBe(true);
  });
});

describe('openai codec › stream encode › events from other providers', () => {
  // What an Anthropic or Gemini upstream decodes to: no system fingerprint, reasoning with a
  // signature, usage with cache and reasoning counts.
  const events: StreamEvent[] = [
    { type: 'response-start', id: 'msg_01XFDUDYJgAACzvnptvVoYEL', model: 'claude-sonnet-4-5', created: 1727346178, serviceTier: 'flex' },
    { type: 'reasoning-delta', delta: 'The user wants a greeting.' },
    { type: 'reasoning-delta', delta: '', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h' },
    { type: 'text-delta', delta: 'Hello' },
    { type: 'tool-call-start', index: 0, id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather' },
    { type: 'tool-call-delta', index: 0, argumentsDelta: '{"location": "Paris"}' },
    { type: 'tool-call-end', index: 0 },
    { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_use' },
    { type: 'usage', usage: { inputTokens: 120, outputTokens: 40, cachedInputTokens: 100, cacheWriteInputTokens: 20, reasoningTokens: 12 } },
  ];

  it('produces chunks that validate against CreateChatCompletionStreamResponse', () => {
    const chunks = jsonChunks(encodeOpenAIEvents(events, { includeUsage: true }));
    for (const [position, chunk] of chunks.entries()) {
      expect(openaiSchemaErrors(STREAM_SCHEMA, chunk), `chunk ${position}: ${JSON.stringify(chunk)}`).toEqual([]);
    }
  });

  it('maps the finish reason to tool_calls and reports cached and reasoning tokens', () => {
    const chunks = jsonChunks(encodeOpenAIEvents(events, { includeUsage: true }));
    const finishReasons = chunks.flatMap((chunk) => (chunk.choices as { finish_reason: unknown }[]).map((choice) => choice.finish_reason));
    expect(finishReasons.filter((reason) => reason !== null)).toEqual(['tool_calls']);
    expect(chunks.at(-1)?.usage).toEqual({
      prompt_tokens: 120,
      completion_tokens: 40,
      total_tokens: 160,
      prompt_tokens_details: { cached_tokens: 100, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 12, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    });
    expect(chunks.every((chunk) => chunk.service_tier === 'flex')).toBe(true);
  });
});
