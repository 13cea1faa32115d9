import { type StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { createAnthropicStreamDecoder, createGeminiStreamDecoder, createOpenAIStreamDecoder, unfoldChatResult } from '../src/index.ts';
import { encodeResponsesResponse } from '../src/openai-responses/encode-responses-response.ts';
import { LOGPROBS, N_CHOICES, PARALLEL_TOOL_CALLS, REASONING, REFUSAL } from './chat-result-examples.ts';
import { parseSse, readFixture } from './load-fixture.ts';
import { accumulate, canonicalOf, encodeStream, expectSameAsFolded, expectSpecValid, fold, type Item, type Json, options, recordedEvents, recordedOptions, withoutPadding } from './responses-stream-kit.ts';

function decodeOpenAI(fixture: string): StreamEvent[] {
  const decoder = createOpenAIStreamDecoder('openai');
  return parseSse(readFixture(fixture)).flatMap((frame) => decoder.decode(frame.data));
}

function decodeAnthropic(fixture: string): StreamEvent[] {
  const decoder = createAnthropicStreamDecoder('anthropic');
  return parseSse(`${readFixture(fixture)}\n\n`).flatMap((frame) => decoder.decode(frame.data, frame.event));
}

function decodeGemini(payloads: readonly string[]): StreamEvent[] {
  const decoder = createGeminiStreamDecoder('gemini');
  return [...payloads.flatMap((payload) => decoder.decode(payload)), ...decoder.finish()];
}

function geminiChunks(fixture: string): string[] {
  return (JSON.parse(readFixture(fixture).replace(/^\/\/.*$/gm, '')) as unknown[]).map((chunk) => JSON.stringify(chunk));
}

const UPSTREAM_STREAMS: [string, () => StreamEvent[]][] = [
  ['openai/chat-stream-text-usage.sse', () => decodeOpenAI('openai/chat-stream-text-usage.sse')],
  ['openai/chat-stream-parallel-tool_calls-usage.sse', () => decodeOpenAI('openai/chat-stream-parallel-tool_calls-usage.sse')],
  ['anthropic/messages-stream-basic-text.sse', () => decodeAnthropic('anthropic/messages-stream-basic-text.sse')],
  ['anthropic/messages-stream-text-then-tool_use.sse', () => decodeAnthropic('anthropic/messages-stream-text-then-tool_use.sse')],
  ['anthropic/messages-stream-tool_use-recorded.sse', () => decodeAnthropic('anthropic/messages-stream-tool_use-recorded.sse')],
  ['anthropic/messages-stream-thinking-text.sse', () => decodeAnthropic('anthropic/messages-stream-thinking-text.sse')],
  ['gemini/streamGenerateContent-text.chunks.jsonc', () => decodeGemini(geminiChunks('gemini/streamGenerateContent-text.chunks.jsonc'))],
  ['gemini/streamGenerateContent-functionCall.chunks.jsonc', () => decodeGemini(geminiChunks('gemini/streamGenerateContent-functionCall.chunks.jsonc'))],
  ['gemini/streamGenerateContent-sse-framing.sse', () => decodeGemini(parseSse(readFixture('gemini/streamGenerateContent-sse-framing.sse')).map((frame) => frame.data))],
];

describe.each(UPSTREAM_STREAMS)('responses codec › stream encode › upstream recording %s', (_fixture, decode) => {
  const events = decode();
  const encoded = encodeStream(events);

  it('ends with response.completed (response.incomplete for the refusal-stopped thinking stream) whose Response equals the non-stream encoding of the folded events', () => {
    expect(events.length).toBeGreaterThan(2);
    const incomplete = fold(events).choices[0]?.finishReason === 'content-filter';
    expect(encoded.events.at(-1)!.type).toBe(incomplete ? 'response.incomplete' : 'response.completed');
    expect(encoded.response.status).toBe(incomplete ? 'incomplete' : 'completed');
    expectSameAsFolded(events, encoded);
  });

  it('writes items one at a time that a client reassembles into the final output', () => {
    expect(accumulate(encoded.events).items.length).toBeGreaterThan(0);
  });

  it('writes only events that validate against ResponseStreamEvent, bar the documented spec mismatches', () => {
    expectSpecValid(encoded.events);
  });
});

describe.each([
  ['parallel tool calls', PARALLEL_TOOL_CALLS],
  ['n=3 choices', N_CHOICES],
  ['reasoning', REASONING],
  ['refusals', REFUSAL],
  ['log-probabilities', LOGPROBS],
])('responses codec › stream encode › unfolded example: %s', (_name, result) => {
  const events = unfoldChatResult(result);
  const encoded = encodeStream(events);

  it('ends with a Response equal to encodeResponsesResponse of the same result', () => {
    expectSameAsFolded(events, encoded);
    expect(encoded.response).toEqual(encodeResponsesResponse(result, options()));
  });

  it('is reassembled by a client into the same output, every event valid bar the documented mismatches', () => {
    accumulate(encoded.events);
    expectSpecValid(encoded.events);
  });
});

describe.each(['openai-responses/responses-stream-text.sse', 'openai-responses/responses-stream-function_call.sse'])(
  'responses codec › stream encode › Responses recording %s',
  (fixture) => {
    const recorded = recordedEvents(fixture);
    const encoded = encodeStream(canonicalOf(recorded), recordedOptions(recorded));

    it('writes the recorded event sequence, field by field and key by key (obfuscation padding is not sent)', () => {
      expect(encoded.events.map((event) => event.type)).toEqual(recorded.map((event) => event.type));
      for (const [position, event] of encoded.events.entries()) {
        expect(JSON.stringify(event), `event ${position}`).toBe(JSON.stringify(withoutPadding(recorded[position]!)));
      }
    });

    it('writes the recorded bytes, frame for frame, but for the padding and `1.0` printed as `1`', () => {
      const frames = parseSse(readFixture(fixture)).map((frame) => {
        const data = frame.data
          .replace(/,"obfuscation":"[^"]*"/, '')
          .replace(/"prompt_cache_retention":null,/, '')
          .replace(/"(temperature|top_p)":1\.0/g, '"$1":1');
        return `event: ${frame.event}\ndata: ${data}\n\n`;
      });
      expect(encoded.sse).toBe(frames.join(''));
    });

    it('has no `name` on function_call_arguments.done, as recorded (the spec requires one)', () => {
      const done = encoded.events.filter((event) => event.type === 'response.function_call_arguments.done');
      for (const event of done) expect(event).not.toHaveProperty('name');
      expect(done).toHaveLength(fixture.includes('function_call') ? 1 : 0);
    });

    it('ends with the Response the non-stream encoder gives for the folded events', () => {
      const events = canonicalOf(recorded);
      const again = recordedOptions(recorded);
      expect(encoded.response).toEqual(encodeResponsesResponse(fold(events), again));
      accumulate(encoded.events);
      expectSpecValid(encoded.events);
    });
  },
);

describe('responses codec › stream encode › Responses recording responses-stream-reasoning-summary-function_call (vercel)', () => {
  const recorded = recordedEvents('openai-responses/responses-stream-reasoning-summary-function_call.chunks.jsonc');
  const encoded = encodeStream(canonicalOf(recorded), recordedOptions(recorded));
  const doneReasoning = recorded.find((event) => event.type === 'response.output_item.done' && (event.item as Item).type === 'reasoning')!.item as Item;

  it('writes the recorded reasoning then function_call sequence; encrypted_content only once known, the same in output_item.done and response.completed', () => {
    // The recording has three different encrypted_content values (output_item.added, .done and
    // response.completed); Gantry knows the signature only at the end of the item and sends that one.
    const expected = recorded.map((event) => {
      const rest = withoutPadding(event);
      const item = rest.item as Item | undefined;
      if (rest.type === 'response.output_item.added' && item?.type === 'reasoning') {
        const { encrypted_content: _encrypted, ...added } = item;
        return { ...rest, item: added };
      }
      if (rest.type === 'response.completed') {
        const response = rest.response as Json;
        const output = (response.output as Item[]).map((entry) => (entry.type === 'reasoning' ? { ...entry, encrypted_content: doneReasoning.encrypted_content } : entry));
        return { ...rest, response: { ...response, output } };
      }
      return rest;
    });
    expect(encoded.events.map((event) => event.type)).toEqual(expected.map((event) => event.type));
    for (const [position, event] of encoded.events.entries()) expect(JSON.stringify(event), `event ${position}`).toBe(JSON.stringify(expected[position]));
    accumulate(encoded.events);
    expectSpecValid(encoded.events);
  });
});
