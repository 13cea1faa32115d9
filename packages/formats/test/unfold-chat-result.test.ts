import type { ChatResult, StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import {
  ChatResultBuilder,
  createAnthropicStreamDecoder,
  createGeminiStreamDecoder,
  decodeAnthropicResponse,
  decodeGeminiResponse,
  decodeOpenAIChatResponse,
  unfoldChatResult,
} from '../src/index.ts';
import { loadJsoncFixture, loadSseData, parseSse, readFixture } from './load-fixture.ts';
import { decodeOpenAIFrames } from './replay-openai-stream.ts';
import { LOGPROBS, N_CHOICES, PARALLEL_TOOL_CALLS, REASONING, REFUSAL } from './chat-result-examples.ts';

function fold(events: readonly StreamEvent[]): ChatResult {
  const builder = new ChatResultBuilder();
  for (const event of events) builder.push(event);
  return builder.result();
}

const roundTrip = (result: ChatResult): ChatResult => fold(unfoldChatResult(result));

function anthropicStream(fixture: string): StreamEvent[] {
  const decoder = createAnthropicStreamDecoder('anthropic');
  // Two SDK fixtures end without the final blank line, which the appended one stands in for.
  return parseSse(`${readFixture(fixture)}\n\n`).flatMap((frame) => decoder.decode(frame.data, frame.event));
}

function geminiStream(payloads: readonly string[]): StreamEvent[] {
  const decoder = createGeminiStreamDecoder('gemini');
  return [...payloads.flatMap((payload) => decoder.decode(payload)), ...decoder.finish()];
}

function geminiChunks(fixture: string): string[] {
  const chunks = JSON.parse(readFixture(fixture).replace(/^\/\/.*$/gm, '')) as unknown[];
  return chunks.map((chunk) => JSON.stringify(chunk));
}

const STREAM_FIXTURES: [string, () => StreamEvent[]][] = [
  ['openai/chat-stream-parallel-tool_calls-usage.sse', () => decodeOpenAIFrames(loadSseData('openai/chat-stream-parallel-tool_calls-usage.sse')).events],
  ['openai/chat-stream-text-usage.sse', () => decodeOpenAIFrames(loadSseData('openai/chat-stream-text-usage.sse')).events],
  ['anthropic/messages-stream-basic-text.sse', () => anthropicStream('anthropic/messages-stream-basic-text.sse')],
  ['anthropic/messages-stream-text-then-tool_use.sse', () => anthropicStream('anthropic/messages-stream-text-then-tool_use.sse')],
  ['anthropic/messages-stream-thinking-text.sse', () => anthropicStream('anthropic/messages-stream-thinking-text.sse')],
  ['anthropic/messages-stream-tool_use-recorded.sse', () => anthropicStream('anthropic/messages-stream-tool_use-recorded.sse')],
  ['gemini/streamGenerateContent-text.chunks.jsonc', () => geminiStream(geminiChunks('gemini/streamGenerateContent-text.chunks.jsonc'))],
  ['gemini/streamGenerateContent-functionCall.chunks.jsonc', () => geminiStream(geminiChunks('gemini/streamGenerateContent-functionCall.chunks.jsonc'))],
  ['gemini/streamGenerateContent-sse-framing.sse', () => geminiStream(parseSse(readFixture('gemini/streamGenerateContent-sse-framing.sse')).map((frame) => frame.data))],
];

describe.each(STREAM_FIXTURES)('unfold chat result › recorded stream %s', (_fixture, decode) => {
  const folded = fold(decode());

  it('folds its unfolded events back to the result the recording folds to', () => {
    expect(folded.choices[0]?.content.length).toBeGreaterThan(0);
    expect(roundTrip(folded)).toStrictEqual(folded);
  });
});

const RESPONSE_FIXTURES: [string, () => ChatResult][] = [
  ['openai/chat-response-tool_calls.jsonc', () => decodeOpenAIChatResponse(loadJsoncFixture('openai/chat-response-tool_calls.jsonc'), 'openai')],
  ['openai/chat-response-default-usage-details.jsonc', () => decodeOpenAIChatResponse(loadJsoncFixture('openai/chat-response-default-usage-details.jsonc'), 'openai')],
  ['anthropic/messages-response-tool_use.jsonc', () => decodeAnthropicResponse(loadJsoncFixture('anthropic/messages-response-tool_use.jsonc'), 'anthropic')],
  ['anthropic/messages-response-text-and-tool_use.jsonc', () => decodeAnthropicResponse(loadJsoncFixture('anthropic/messages-response-text-and-tool_use.jsonc'), 'anthropic')],
  ['gemini/generateContent-response-3-functionCalls.jsonc', () => decodeGeminiResponse(loadJsoncFixture('gemini/generateContent-response-3-functionCalls.jsonc'), 'gemini')],
  ['gemini/generateContent-response-thought.jsonc', () => decodeGeminiResponse(loadJsoncFixture('gemini/generateContent-response-thought.jsonc'), 'gemini')],
  [
    'gemini/generateContent-response-functionCall-thoughtSignature.jsonc',
    () => decodeGeminiResponse(loadJsoncFixture('gemini/generateContent-response-functionCall-thoughtSignature.jsonc'), 'gemini'),
  ],
];

describe.each(RESPONSE_FIXTURES)('unfold chat result › recorded response %s', (_fixture, decode) => {
  const result = decode();

  it('replays the stored non-streaming result as events that fold back to it', () => {
    expect(result.choices[0]?.content.length).toBeGreaterThan(0);
    expect(roundTrip(result)).toStrictEqual(result);
  });
});

describe.each([
  ['parallel tool calls after text, usage with cached and reasoning tokens', PARALLEL_TOOL_CALLS],
  ['n=3 choices, one of them empty', N_CHOICES],
  ['reasoning with signatures and redacted data', REASONING],
  ['refusals', REFUSAL],
  ['log-probabilities on text split over parts', LOGPROBS],
])('unfold chat result › %s', (_name, result) => {
  it('folds back to a deep-equal result', () => {
    expect(roundTrip(result)).toStrictEqual(result);
  });

  it('starts with response-start, ends with usage, and finishes each choice once, after its content', () => {
    const events = unfoldChatResult(result);
    expect(events[0]).toStrictEqual({
      type: 'response-start',
      id: result.id,
      model: result.model,
      created: result.created,
      ...(result.systemFingerprint === undefined ? {} : { systemFingerprint: result.systemFingerprint }),
      ...(result.serviceTier === undefined ? {} : { serviceTier: result.serviceTier }),
    });
    expect(events.at(-1)).toStrictEqual({ type: 'usage', usage: result.usage });
    const finishes = events.filter((event) => event.type === 'finish');
    expect(finishes.map((event) => event.choiceIndex ?? 0)).toEqual(result.choices.map((choice) => choice.index));
    for (const [position, event] of events.entries()) {
      if (event.type === 'response-start' || event.type === 'usage') continue;
      const finishAt = events.findIndex((other) => other.type === 'finish' && (other.choiceIndex ?? 0) === (event.choiceIndex ?? 0));
      expect(position).toBeLessThanOrEqual(finishAt);
    }
  });

  it('leaves choiceIndex off the events of choice 0, as providers do', () => {
    const events = unfoldChatResult(result);
    expect(events.some((event) => 'choiceIndex' in event && event.choiceIndex === 0)).toBe(false);
  });
});

describe('unfold chat result › tool call indices', () => {
  it('numbers tool calls 0, 1, 2… within each choice, in stream order, each started, fed and ended once', () => {
    const events = unfoldChatResult(N_CHOICES).filter((event) => event.type.startsWith('tool-call'));
    const shape = events.map((event) => `${event.type}:${'choiceIndex' in event ? (event.choiceIndex ?? 0) : 0}:${'index' in event ? event.index : ''}`);
    expect(shape).toEqual([
      'tool-call-start:0:0',
      'tool-call-delta:0:0',
      'tool-call-end:0:0',
      'tool-call-start:1:0',
      'tool-call-delta:1:0',
      'tool-call-end:1:0',
      'tool-call-start:1:1',
      'tool-call-delta:1:1',
      'tool-call-end:1:1',
    ]);
  });

  it('sends no arguments delta for a call with empty arguments', () => {
    const events = unfoldChatResult(PARALLEL_TOOL_CALLS);
    const third = events.filter((event) => event.type.startsWith('tool-call') && 'index' in event && event.index === 2);
    expect(third.map((event) => event.type)).toEqual(['tool-call-start', 'tool-call-end']);
  });
});

describe('unfold chat result › log-probabilities', () => {
  it('sends one text-delta per entry, in order, the first carrying the text', () => {
    const deltas = unfoldChatResult(LOGPROBS).filter((event) => event.type === 'text-delta');
    expect(deltas.map((delta) => [delta.delta, delta.logprobs])).toEqual([
      ['Hello', logprobsEntry(0)],
      ['', logprobsEntry(1)],
      ['', logprobsEntry(2)],
      [' again', undefined],
    ]);
  });
});

function logprobsEntry(position: number): unknown {
  return (LOGPROBS.choices[0]?.logprobs as unknown[])[position];
}

describe('unfold chat result › results a stream cannot express are normalised', () => {
  const base: ChatResult = { id: 'r', model: 'm', created: 1, choices: [] };

  it('merges adjacent text parts into one, and a second round trip changes nothing', () => {
    const result: ChatResult = { ...base, choices: [{ index: 0, content: [{ type: 'text', text: 'Hello, ' }, { type: 'text', text: 'world' }], finishReason: 'stop' }] };
    const once = roundTrip(result);
    expect(once.choices[0]?.content).toStrictEqual([{ type: 'text', text: 'Hello, world' }]);
    expect(roundTrip(once)).toStrictEqual(once);
  });

  it('merges adjacent reasoning parts, keeping the last signature and the redacted data', () => {
    const result: ChatResult = {
      ...base,
      choices: [
        {
          index: 0,
          content: [
            { type: 'reasoning', text: 'First.', signature: 'sig-1' },
            { type: 'reasoning', text: '', redactedData: 'opaque' },
            { type: 'reasoning', text: ' Second.', signature: 'sig-2' },
          ],
          finishReason: 'stop',
        },
      ],
    };
    expect(roundTrip(result).choices[0]?.content).toStrictEqual([{ type: 'reasoning', text: 'First. Second.', signature: 'sig-2', redactedData: 'opaque' }]);
  });

  it('sorts choices by index', () => {
    const result: ChatResult = {
      ...base,
      choices: [
        { index: 1, content: [{ type: 'text', text: 'b' }], finishReason: 'stop' },
        { index: 0, content: [{ type: 'text', text: 'a' }], finishReason: 'stop' },
      ],
    };
    expect(roundTrip(result).choices.map((choice) => choice.index)).toEqual([0, 1]);
  });

  it('turns an object of log-probabilities into a one-entry array, and null into none', () => {
    const entry = { content: [], refusal: null };
    const result: ChatResult = {
      ...base,
      choices: [
        { index: 0, content: [{ type: 'text', text: 'a' }], finishReason: 'stop', logprobs: entry },
        { index: 1, content: [{ type: 'text', text: 'b' }], finishReason: 'stop', logprobs: null },
      ],
    };
    const [first, second] = roundTrip(result).choices;
    expect(first?.logprobs).toStrictEqual([entry]);
    expect(second).toStrictEqual({ index: 1, content: [{ type: 'text', text: 'b' }], finishReason: 'stop' });
  });

  it('carries log-probabilities of a choice without text on an empty text part at its end', () => {
    const result: ChatResult = { ...base, choices: [{ index: 0, content: [{ type: 'refusal', text: 'No.' }], finishReason: 'stop', logprobs: [{ n: 1 }] }] };
    expect(roundTrip(result).choices[0]?.content).toStrictEqual([
      { type: 'refusal', text: 'No.' },
      { type: 'text', text: '' },
    ]);
  });
});

describe('unfold chat result › ownership', () => {
  it('does not hand the stored usage object to the events, so folding them shares nothing with it', () => {
    const events = unfoldChatResult(PARALLEL_TOOL_CALLS);
    const usage = events.find((event) => event.type === 'usage');
    expect(usage?.type === 'usage' && usage.usage).toStrictEqual(PARALLEL_TOOL_CALLS.usage);
    expect(usage?.type === 'usage' && usage.usage).not.toBe(PARALLEL_TOOL_CALLS.usage);
  });
});
