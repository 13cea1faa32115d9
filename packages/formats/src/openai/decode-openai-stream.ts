import { randomUUID } from 'node:crypto';
import { ProviderHttpError, ProviderUnreachableError, type StreamEvent } from '@gantry/spec';
import { decodeOpenAIUsage } from './decode-openai-usage.ts';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.ts';
import { readOpenAIChatChunk } from './read-openai-chunk.ts';

export interface OpenAIStreamDecoder {
  /** Decodes one SSE `data:` payload. Returns no events for `[DONE]`. Throws on an in-stream error. */
  decode(data: string): StreamEvent[];
  /** True once `[DONE]` was seen. */
  readonly done: boolean;
}

/**
 * Decodes an OpenAI (or OpenAI-compatible) chat completion stream into canonical events.
 * Tool calls are keyed by (choice, index); servers that omit the index or the id get them filled
 * in, so downstream encoders always see one start per tool call.
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
 */
export function createOpenAIStreamDecoder(provider: string): OpenAIStreamDecoder {
  let started = false;
  let done = false;
  /** Open tool call per choice: the wire index of the one still receiving arguments. */
  const openToolCall = new Map<number, number>();
  const seenToolCalls = new Set<string>();
  /** For servers that send no index: tool call index by `choice:id`, and calls started per choice. */
  const indexById = new Map<string, number>();
  const startedToolCalls = new Map<number, number>();

  /**
   * The index of a tool call sent without one (Gemini's OpenAI-compatible API): a new id starts the
   * next call; no id continues the open call, later entries of the same chunk being the calls after it.
   */
  function impliedIndex(choiceIndex: number, id: string | null | undefined, position: number): number {
    if (id == null || id === '') return (openToolCall.get(choiceIndex) ?? 0) + position;
    const key = `${choiceIndex}:${id}`;
    let index = indexById.get(key);
    if (index === undefined) {
      index = startedToolCalls.get(choiceIndex) ?? 0;
      indexById.set(key, index);
    }
    return index;
  }

  function endOpenToolCall(events: StreamEvent[], choiceIndex: number): void {
    const index = openToolCall.get(choiceIndex);
    if (index === undefined) return;
    openToolCall.delete(choiceIndex);
    events.push(choiceIndex === 0 ? { type: 'tool-call-end', index } : { type: 'tool-call-end', choiceIndex, index });
  }

  return {
    get done() {
      return done;
    },
    decode(data: string): StreamEvent[] {
      if (data === '[DONE]') {
        done = true;
        return [];
      }
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        throw new ProviderUnreachableError(provider, `provider ${provider} sent a malformed stream frame (not JSON): ${data.slice(0, 200)}`);
      }
      const chunk = readOpenAIChatChunk(json);
      if (typeof chunk === 'string') throw new ProviderUnreachableError(provider, `provider ${provider} sent a malformed stream chunk: ${chunk}`);
      if (chunk.error != null) {
        const error = chunk.error as { message?: unknown; code?: unknown };
        const message = typeof error.message === 'string' ? error.message : JSON.stringify(chunk.error);
        throw new ProviderHttpError(provider, 500, `provider ${provider} failed mid-stream: ${message}`, chunk.error);
      }
      const events: StreamEvent[] = [];
      if (!started) {
        started = true;
        events.push({
          type: 'response-start',
          id: chunk.id ?? `chatcmpl-${randomUUID()}`,
          model: chunk.model ?? '',
          created: chunk.created ?? Math.floor(Date.now() / 1000),
          ...(chunk.system_fingerprint == null ? {} : { systemFingerprint: chunk.system_fingerprint }),
          ...(chunk.service_tier == null ? {} : { serviceTier: chunk.service_tier }),
        });
      }
      for (const choice of chunk.choices ?? []) {
        const choiceIndex = choice.index ?? 0;
        const at = choiceIndex === 0 ? {} : { choiceIndex };
        const delta = choice.delta;
        if (delta != null) {
          const reasoning = delta.reasoning_content ?? delta.reasoning;
          if (reasoning != null && reasoning !== '') events.push({ type: 'reasoning-delta', ...at, delta: reasoning });
          if (delta.content != null && (delta.content !== '' || choice.logprobs != null)) {
            events.push(
              choice.logprobs != null
                ? { type: 'text-delta', ...at, delta: delta.content, logprobs: choice.logprobs }
                : { type: 'text-delta', ...at, delta: delta.content },
            );
          }
          if (delta.refusal != null && delta.refusal !== '') events.push({ type: 'refusal-delta', ...at, delta: delta.refusal });
          const toolCalls = delta.tool_calls ?? [];
          for (let position = 0; position < toolCalls.length; position++) {
            const call = toolCalls[position]!;
            const index = call.index ?? impliedIndex(choiceIndex, call.id, position);
            const key = `${choiceIndex}:${index}`;
            if (!seenToolCalls.has(key)) {
              endOpenToolCall(events, choiceIndex);
              seenToolCalls.add(key);
              startedToolCalls.set(choiceIndex, (startedToolCalls.get(choiceIndex) ?? 0) + 1);
              openToolCall.set(choiceIndex, index);
              events.push({
                type: 'tool-call-start',
                ...at,
                index,
                id: call.id ?? `call_${randomUUID().replaceAll('-', '')}`,
                name: call.function?.name ?? '',
              });
            }
            const argumentsDelta = call.function?.arguments;
            if (argumentsDelta != null && argumentsDelta !== '') events.push({ type: 'tool-call-delta', ...at, index, argumentsDelta });
          }
        }
        if (choice.finish_reason != null) {
          endOpenToolCall(events, choiceIndex);
          events.push({ type: 'finish', ...at, finishReason: mapOpenAIFinishReason(choice.finish_reason), rawFinishReason: choice.finish_reason });
        }
      }
      if (chunk.usage != null) events.push({ type: 'usage', usage: decodeOpenAIUsage(chunk.usage) });
      return events;
    },
  };
}
