import type { StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { ChatResultBuilder } from '../src/index.ts';
import { loadSseData } from './load-fixture.ts';
import { decodeOpenAIFrames } from './replay-openai-stream.ts';

const TOOL_CALLS_FIXTURE = 'openai/chat-stream-parallel-tool_calls-usage.sse';
const TEXT_FIXTURE = 'openai/chat-stream-text-usage.sse';

// Values read off the recordings by hand, not recomputed by the code under test.
const WEATHER_ARGUMENTS = '{"city": "Edinburgh", "country": "GB", "units": "c"}';
const STOCK_ARGUMENTS = '{"ticker": "AAPL", "exchange": "NASDAQ"}';
const TEXT =
  "I'm unable to provide real-time weather updates. To get the current weather in San Francisco, I recommend checking a reliable weather website or a weather app.";

function ofType<T extends StreamEvent['type']>(events: StreamEvent[], type: T): Extract<StreamEvent, { type: T }>[] {
  return events.filter((event): event is Extract<StreamEvent, { type: T }> => event.type === type);
}

describe('openai codec › stream decode › fixture loader', () => {
  it('skips the `:` header comments and keeps every data frame of the recording', () => {
    const frames = loadSseData(TOOL_CALLS_FIXTURE);
    // 1 role chunk, 2 starts, 11 + 9 argument chunks, 1 finish, 1 usage, [DONE].
    expect(frames).toHaveLength(26);
    expect(frames.at(-1)).toBe('[DONE]');
    expect(frames.slice(0, -1).every((frame) => frame.startsWith('{"id":"chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63"'))).toBe(true);
  });
});

describe('openai codec › stream decode › parallel tool calls recording', () => {
  const frames = loadSseData(TOOL_CALLS_FIXTURE);
  const { events, done } = decodeOpenAIFrames(frames);

  it('emits response-start first, once, with id, model, created and system fingerprint', () => {
    expect(events[0]).toEqual({
      type: 'response-start',
      id: 'chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63',
      model: 'gpt-4o-2024-08-06',
      created: 1727346178,
      systemFingerprint: 'fp_5050236cbd',
    });
    expect(ofType(events, 'response-start')).toHaveLength(1);
  });

  it('starts each tool call once with the id and name from its first chunk', () => {
    expect(ofType(events, 'tool-call-start')).toEqual([
      { type: 'tool-call-start', index: 0, id: 'call_JMW1whyEaYG438VE1OIflxA2', name: 'GetWeatherArgs' },
      { type: 'tool-call-start', index: 1, id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou', name: 'get_stock_price' },
    ]);
  });

  it('concatenates the argument deltas of each index to the recorded JSON', () => {
    const deltas = ofType(events, 'tool-call-delta');
    const argumentsOf = (index: number): string =>
      deltas
        .filter((delta) => delta.index === index)
        .map((delta) => delta.argumentsDelta)
        .join('');
    expect(argumentsOf(0)).toBe(WEATHER_ARGUMENTS);
    expect(argumentsOf(1)).toBe(STOCK_ARGUMENTS);
    // The recording's empty `arguments: ""` on the start chunks produce no delta events.
    expect(deltas.every((delta) => delta.argumentsDelta !== '')).toBe(true);
    expect(deltas).toHaveLength(20);
  });

  it('orders start, deltas and end per tool call, and ends both before finish', () => {
    const shape = events
      .filter((event) => event.type !== 'tool-call-delta')
      .map((event) => ('index' in event ? `${event.type}:${event.index}` : event.type));
    expect(shape).toEqual([
      'response-start',
      'tool-call-start:0',
      'tool-call-end:0',
      'tool-call-start:1',
      'tool-call-end:1',
      'finish',
      'usage',
    ]);
    const firstDeltaOf1 = events.findIndex((event) => event.type === 'tool-call-delta' && event.index === 1);
    const endOf0 = events.findIndex((event) => event.type === 'tool-call-end' && event.index === 0);
    expect(endOf0).toBeLessThan(firstDeltaOf1);
  });

  it('maps finish_reason tool_calls to tool-calls and keeps the raw word', () => {
    expect(ofType(events, 'finish')).toEqual([{ type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'tool_calls' }]);
  });

  it('emits usage from the choices:[] chunk after finish', () => {
    expect(ofType(events, 'usage')).toEqual([{ type: 'usage', usage: { inputTokens: 149, outputTokens: 60, reasoningTokens: 0 } }]);
    expect(events.at(-1)?.type).toBe('usage');
  });

  it('emits nothing for the role chunk and for [DONE], and marks the decoder done', () => {
    expect(events.some((event) => event.type === 'text-delta' || event.type === 'refusal-delta')).toBe(false);
    expect(done).toBe(true);
  });

  it('folds into the ChatResult a non-streaming call would return', () => {
    const builder = new ChatResultBuilder();
    for (const event of events) builder.push(event);
    expect(builder.result()).toEqual({
      id: 'chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63',
      model: 'gpt-4o-2024-08-06',
      created: 1727346178,
      systemFingerprint: 'fp_5050236cbd',
      choices: [
        {
          index: 0,
          content: [
            { type: 'tool-call', id: 'call_JMW1whyEaYG438VE1OIflxA2', name: 'GetWeatherArgs', arguments: WEATHER_ARGUMENTS },
            { type: 'tool-call', id: 'call_DNYTawLBoN8fj3KN6qU9N1Ou', name: 'get_stock_price', arguments: STOCK_ARGUMENTS },
          ],
          finishReason: 'tool-calls',
          rawFinishReason: 'tool_calls',
        },
      ],
      usage: { inputTokens: 149, outputTokens: 60, reasoningTokens: 0 },
    });
  });
});

describe('openai codec › stream decode › text recording', () => {
  const { events, done } = decodeOpenAIFrames(loadSseData(TEXT_FIXTURE));

  it('emits response-start with the recording metadata', () => {
    expect(events[0]).toEqual({
      type: 'response-start',
      id: 'chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL',
      model: 'gpt-4o-2024-08-06',
      created: 1727346168,
      systemFingerprint: 'fp_5050236cbd',
    });
  });

  it('emits one text-delta per content chunk, concatenating to the full text', () => {
    const deltas = ofType(events, 'text-delta');
    // The role chunk's `content: ""` and `refusal: null` are not content.
    expect(deltas).toHaveLength(30);
    expect(deltas[0]).toEqual({ type: 'text-delta', delta: "I'm" });
    expect(deltas.map((delta) => delta.delta).join('')).toBe(TEXT);
    expect(events.some((event) => event.type === 'refusal-delta' || event.type.startsWith('tool-call'))).toBe(false);
  });

  it('ends with finish stop and the usage event', () => {
    expect(events.slice(-2)).toEqual([
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'stop' },
      { type: 'usage', usage: { inputTokens: 14, outputTokens: 30, reasoningTokens: 0 } },
    ]);
    expect(done).toBe(true);
  });

  it('folds into one text part', () => {
    const builder = new ChatResultBuilder();
    for (const event of events) builder.push(event);
    expect(builder.result()).toEqual({
      id: 'chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL',
      model: 'gpt-4o-2024-08-06',
      created: 1727346168,
      systemFingerprint: 'fp_5050236cbd',
      choices: [{ index: 0, content: [{ type: 'text', text: TEXT }], finishReason: 'stop', rawFinishReason: 'stop' }],
      usage: { inputTokens: 14, outputTokens: 30, reasoningTokens: 0 },
    });
  });
});
