import type { StreamEvent } from '@gantry/spec';
import { createOpenAIStreamDecoder, createOpenAIStreamEncoder, type OpenAIStreamEncoderOptions } from '../src/index.ts';
import { parseSse } from './load-fixture.ts';

/** Feeds `data:` payloads to a fresh decoder, as the provider adapter does. */
export function decodeOpenAIFrames(frames: readonly string[]): { events: StreamEvent[]; done: boolean } {
  const decoder = createOpenAIStreamDecoder('openai');
  const events = frames.flatMap((frame) => decoder.decode(frame));
  return { events, done: decoder.done };
}

/** The SSE text a client receives for `events`: every encoded event, then `end()`. */
export function encodeOpenAIEvents(events: readonly StreamEvent[], options: OpenAIStreamEncoderOptions): string {
  const encoder = createOpenAIStreamEncoder(options);
  return events.map((event) => encoder.encode(event)).join('') + encoder.end();
}

/** The JSON chunks of an encoded stream (every `data:` payload but `[DONE]`). */
export function jsonChunks(sse: string): Record<string, unknown>[] {
  return parseSse(sse)
    .map((event) => event.data)
    .filter((data) => data !== '[DONE]')
    .map((data) => JSON.parse(data) as Record<string, unknown>);
}

export interface AccumulatedToolCall {
  id: string;
  type: string;
  name: string;
  arguments: string;
}

interface WireToolCallDelta {
  index: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

interface WireChoice {
  index: number;
  delta?: { tool_calls?: WireToolCallDelta[] };
}

/**
 * Rebuilds tool calls from chunks the way the openai SDKs do (`ChatCompletionStream`): keyed by
 * choice and `tool_calls[].index`; id, type and name taken from the first chunk of an index,
 * arguments concatenated. Returns the calls per choice index.
 */
export function accumulateToolCalls(chunks: readonly Record<string, unknown>[]): Map<number, AccumulatedToolCall[]> {
  const byChoice = new Map<number, Map<number, AccumulatedToolCall>>();
  for (const chunk of chunks) {
    for (const choice of (chunk.choices ?? []) as WireChoice[]) {
      for (const delta of choice.delta?.tool_calls ?? []) {
        let calls = byChoice.get(choice.index);
        if (calls === undefined) byChoice.set(choice.index, (calls = new Map()));
        const existing = calls.get(delta.index);
        if (existing === undefined) {
          calls.set(delta.index, {
            id: delta.id ?? '',
            type: delta.type ?? '',
            name: delta.function?.name ?? '',
            arguments: delta.function?.arguments ?? '',
          });
        } else existing.arguments += delta.function?.arguments ?? '';
      }
    }
  }
  return new Map([...byChoice].map(([choice, calls]) => [choice, [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call)]));
}
