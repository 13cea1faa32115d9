import type { ChatResult, StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { ChatResultBuilder, createAnthropicStreamDecoder, createAnthropicStreamEncoder, unfoldChatResult } from '../src/index.ts';
import { LOGPROBS, N_CHOICES, PARALLEL_TOOL_CALLS, REASONING, REFUSAL } from './chat-result-examples.ts';
import { parseSse } from './load-fixture.ts';
import { accumulateToolCalls, decodeOpenAIFrames, encodeOpenAIEvents, jsonChunks } from './replay-openai-stream.ts';
import { openaiSchemaErrors } from './validate-openai-schema.ts';

const STREAM_SCHEMA = 'CreateChatCompletionStreamResponse';

function fold(events: readonly StreamEvent[]): ChatResult {
  const builder = new ChatResultBuilder();
  for (const event of events) builder.push(event);
  return builder.result();
}

interface WireToolCall {
  index: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

/** The tool-call deltas of an encoded stream, per choice, in order. */
function toolCallDeltas(chunks: readonly Record<string, unknown>[]): { choice: number; call: WireToolCall }[] {
  return chunks.flatMap((chunk) =>
    ((chunk.choices ?? []) as { index: number; delta?: { tool_calls?: WireToolCall[] } }[]).flatMap((choice) =>
      (choice.delta?.tool_calls ?? []).map((call) => ({ choice: choice.index, call })),
    ),
  );
}

describe.each([
  ['parallel tool calls', PARALLEL_TOOL_CALLS],
  ['n=3 choices', N_CHOICES],
  ['reasoning', REASONING],
  ['refusals', REFUSAL],
  ['log-probabilities', LOGPROBS],
])('unfold chat result › OpenAI stream encode › %s', (_name, result) => {
  const sse = encodeOpenAIEvents(unfoldChatResult(result), { includeUsage: true });
  const chunks = jsonChunks(sse);

  it('writes data frames ending with one data: [DONE]', () => {
    expect(sse.endsWith('\n\ndata: [DONE]\n\n')).toBe(true);
    expect(parseSse(sse).filter((event) => event.data === '[DONE]')).toHaveLength(1);
    expect(sse.split('\n\n').filter((frame) => frame !== '').every((frame) => frame.startsWith('data: '))).toBe(true);
  });

  it('produces chunks that all validate against CreateChatCompletionStreamResponse', () => {
    expect(chunks.length).toBeGreaterThan(2);
    for (const [position, chunk] of chunks.entries()) {
      expect(openaiSchemaErrors(STREAM_SCHEMA, chunk), `chunk ${position}: ${JSON.stringify(chunk)}`).toEqual([]);
    }
  });

  it('sends id, type and name on the first chunk of each tool call only, and the stored calls reassemble', () => {
    const seen = new Set<string>();
    for (const { choice, call } of toolCallDeltas(chunks)) {
      const key = `${choice}:${call.index}`;
      if (seen.has(key)) expect(call.id === undefined && call.function?.name === undefined).toBe(true);
      else expect(call.id !== undefined && call.type === 'function' && call.function?.name !== undefined).toBe(true);
      seen.add(key);
    }
    const expected = new Map(
      result.choices
        .map((choice) => [
          choice.index,
          choice.content.flatMap((part) => (part.type === 'tool-call' ? [{ id: part.id, type: 'function', name: part.name, arguments: part.arguments }] : [])),
        ] as const)
        .filter(([, calls]) => calls.length > 0),
    );
    expect(accumulateToolCalls(chunks)).toEqual(expected);
  });

  it('ends with the usage chunk, cached and reasoning tokens included', () => {
    const usage = chunks.at(-1);
    expect(usage?.choices).toEqual([]);
    expect(usage?.usage).toMatchObject({
      prompt_tokens: result.usage?.inputTokens,
      completion_tokens: result.usage?.outputTokens,
      prompt_tokens_details: { cached_tokens: result.usage?.cachedInputTokens ?? 0 },
      completion_tokens_details: { reasoning_tokens: result.usage?.reasoningTokens ?? 0 },
    });
  });
});

describe.each([
  ['parallel tool calls', PARALLEL_TOOL_CALLS],
  ['n=3 choices', N_CHOICES],
  ['log-probabilities', LOGPROBS],
])('unfold chat result › OpenAI stream encode › %s', (_name, result) => {
  it('reads back, through the OpenAI stream decoder, as the stored result', () => {
    const payloads = parseSse(encodeOpenAIEvents(unfoldChatResult(result), { includeUsage: true })).map((event) => event.data);
    const { events, done } = decodeOpenAIFrames(payloads);
    expect(done).toBe(true);
    // The OpenAI wire reports absent token details as 0.
    expect(fold(events)).toStrictEqual({ ...result, usage: { cachedInputTokens: 0, reasoningTokens: 0, ...result.usage } });
  });
});

describe('unfold chat result › Anthropic stream encode › reasoning', () => {
  it('reads back, through the Anthropic stream decoder, with the same content, signatures and redacted data', () => {
    const encoder = createAnthropicStreamEncoder();
    const sse = unfoldChatResult(REASONING).map((event) => encoder.encode(event)).join('') + encoder.end();
    const decoder = createAnthropicStreamDecoder('anthropic');
    const folded = fold(parseSse(sse).flatMap((frame) => decoder.decode(frame.data, frame.event)));
    expect(folded.id).toBe(REASONING.id);
    expect(folded.choices).toStrictEqual(REASONING.choices);
  });
});
