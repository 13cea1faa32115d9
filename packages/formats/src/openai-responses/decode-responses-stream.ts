import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ProviderUnreachableError, type StreamEvent } from '@gantry/spec';
import {
  decodeResponsesUsage,
  errorEventSchema,
  functionCallItemSchema,
  mapResponsesFinish,
  messageItemSchema,
  outputItemSchema,
  parseUpstream,
  reasoningItemSchema,
  reasoningTextOf,
  REASONING_PART_SEPARATOR,
  responseSchema,
  responsesFailureError,
  type ResponsesWireResponse,
} from './responses-upstream-wire.ts';

export interface ResponsesStreamDecoder {
  /** Decodes one SSE `data:` payload. Throws the matching GatewayError on an `error` or `response.failed` event. */
  decode(data: string): StreamEvent[];
  /** True once `response.completed` or `response.incomplete` was seen: the stream has no `[DONE]`. */
  readonly done: boolean;
}

const eventSchema = z.looseObject({ type: z.string() });
const responseEventSchema = z.looseObject({ response: responseSchema });
const itemEventSchema = z.looseObject({ output_index: z.number(), item: outputItemSchema });
const deltaEventSchema = z.looseObject({ output_index: z.number(), delta: z.string(), summary_index: z.number().nullish() });

/** Per output item: what was streamed of it, so its `.done` event fills in only what was not. */
interface ItemState {
  deltas: boolean;
  /** Tool call index, for function calls. */
  toolIndex?: number;
  /** The last reasoning summary part that streamed text. */
  summaryIndex?: number;
}

/**
 * Decodes a Responses API event stream into canonical events.
 *
 * - `response.created` → `response-start`; `response.completed` / `response.incomplete` → `finish`
 *   then `usage` (the stream ends there: there is no `[DONE]`).
 * - Text, refusal and reasoning-summary deltas → their deltas; summary parts of one item are
 *   joined with a blank line, as `decodeResponsesResponse` joins them.
 * - A function call's `call_id` and `name` come from `output_item.added` (its argument deltas carry
 *   only `item_id` and `output_index`); its `output_item.done` ends it.
 * - A reasoning item's `encrypted_content` is taken from its `output_item.done` (the value in
 *   `.added` may be incomplete, and differs in the recordings) and sent as the signature.
 * - `error` and `response.failed` throw the ProviderHttpError their error code stands for, as the
 *   chat decoder does for an in-stream error.
 * @see https://platform.openai.com/docs/api-reference/responses-streaming
 */
export function createResponsesStreamDecoder(provider = 'openai'): ResponsesStreamDecoder {
  let started = false;
  let done = false;
  let calledFunctions = false;
  let nextToolIndex = 0;
  const items = new Map<number, ItemState>();

  function itemState(outputIndex: number): ItemState {
    let state = items.get(outputIndex);
    if (state === undefined) items.set(outputIndex, (state = { deltas: false }));
    return state;
  }

  /** The response-start, once: from the first event carrying the Response, or made up before content that came without one. */
  function start(events: StreamEvent[], response: ResponsesWireResponse | undefined): void {
    if (started) return;
    started = true;
    // service_tier is omitted: created says `auto`, only completed says which tier served the call.
    events.push({
      type: 'response-start',
      id: response?.id ?? `resp_${randomUUID().replaceAll('-', '')}`,
      model: response?.model ?? '',
      created: response?.created_at ?? Math.floor(Date.now() / 1000),
    });
  }

  function startToolCall(events: StreamEvent[], state: ItemState, item: z.infer<typeof functionCallItemSchema>): number {
    if (state.toolIndex !== undefined) return state.toolIndex;
    const index = (state.toolIndex = nextToolIndex++);
    calledFunctions = true;
    events.push({ type: 'tool-call-start', index, id: item.call_id, name: item.name });
    return index;
  }

  function onItemAdded(events: StreamEvent[], outputIndex: number, item: z.infer<typeof outputItemSchema>): void {
    if (item.type !== 'function_call') return;
    const call = parseUpstream(functionCallItemSchema, item, provider, 'function_call item');
    const state = itemState(outputIndex);
    const index = startToolCall(events, state, call);
    if (call.arguments !== '') {
      state.deltas = true;
      events.push({ type: 'tool-call-delta', index, argumentsDelta: call.arguments });
    }
  }

  /** Fills in what the deltas did not carry, then closes the item. */
  function onItemDone(events: StreamEvent[], outputIndex: number, item: z.infer<typeof outputItemSchema>): void {
    const state = itemState(outputIndex);
    if (item.type === 'function_call') {
      const call = parseUpstream(functionCallItemSchema, item, provider, 'function_call item');
      const index = startToolCall(events, state, call);
      if (!state.deltas && call.arguments !== '') events.push({ type: 'tool-call-delta', index, argumentsDelta: call.arguments });
      events.push({ type: 'tool-call-end', index });
    } else if (item.type === 'reasoning') {
      const reasoning = parseUpstream(reasoningItemSchema, item, provider, 'reasoning item');
      const text = state.deltas ? '' : reasoningTextOf(reasoning);
      const signature = reasoning.encrypted_content ?? undefined;
      if (signature !== undefined) events.push({ type: 'reasoning-delta', delta: text, signature });
      else if (text !== '') events.push({ type: 'reasoning-delta', delta: text });
    } else if (item.type === 'message' && !state.deltas) {
      for (const part of parseUpstream(messageItemSchema, item, provider, 'message item').content) {
        if (part.type === 'output_text' && part.text) events.push({ type: 'text-delta', delta: part.text });
        else if (part.type === 'refusal' && part.refusal) events.push({ type: 'refusal-delta', delta: part.refusal });
      }
    }
  }

  function onDelta(events: StreamEvent[], type: string, json: unknown): void {
    const { output_index: outputIndex, delta, summary_index: summaryIndex } = parseUpstream(deltaEventSchema, json, provider, `${type} event`);
    const state = itemState(outputIndex);
    state.deltas = true;
    if (delta === '') return;
    if (type === 'response.output_text.delta') events.push({ type: 'text-delta', delta });
    else if (type === 'response.refusal.delta') events.push({ type: 'refusal-delta', delta });
    else if (type === 'response.function_call_arguments.delta') {
      if (state.toolIndex === undefined) throw new ProviderUnreachableError(provider, `provider ${provider} streamed function call arguments for output ${outputIndex} before the item`);
      events.push({ type: 'tool-call-delta', index: state.toolIndex, argumentsDelta: delta });
    } else {
      const part = summaryIndex ?? 0;
      const separator = state.summaryIndex !== undefined && state.summaryIndex !== part ? REASONING_PART_SEPARATOR : '';
      state.summaryIndex = part;
      events.push({ type: 'reasoning-delta', delta: separator + delta });
    }
  }

  function onEnd(events: StreamEvent[], response: ResponsesWireResponse): void {
    done = true;
    const called = calledFunctions || (response.output ?? []).some((item) => item.type === 'function_call');
    const { finishReason, rawFinishReason } = mapResponsesFinish(response, called);
    events.push({ type: 'finish', finishReason, rawFinishReason });
    if (response.usage != null) events.push({ type: 'usage', usage: decodeResponsesUsage(response.usage) });
  }

  function decodeEvent(type: string, json: unknown): StreamEvent[] {
    const events: StreamEvent[] = [];
    switch (type) {
      case 'error': {
        const event = parseUpstream(errorEventSchema, json, provider, 'error event');
        throw responsesFailureError(provider, event.error?.code ?? event.code ?? event.error?.type, event.error?.message ?? event.message, json);
      }
      case 'response.failed': {
        const { response } = parseUpstream(responseEventSchema, json, provider, 'response.failed event');
        throw responsesFailureError(provider, response.error?.code, response.error?.message, json);
      }
      case 'response.created':
      case 'response.queued':
      case 'response.in_progress':
        start(events, parseUpstream(responseEventSchema, json, provider, `${type} event`).response);
        return events;
      case 'response.completed':
      case 'response.incomplete': {
        const { response } = parseUpstream(responseEventSchema, json, provider, `${type} event`);
        start(events, response);
        onEnd(events, response);
        return events;
      }
    }
    start(events, undefined);
    switch (type) {
      case 'response.output_item.added':
      case 'response.output_item.done': {
        const { output_index: outputIndex, item } = parseUpstream(itemEventSchema, json, provider, `${type} event`);
        if (type === 'response.output_item.added') onItemAdded(events, outputIndex, item);
        else onItemDone(events, outputIndex, item);
        break;
      }
      case 'response.output_text.delta':
      case 'response.refusal.delta':
      case 'response.function_call_arguments.delta':
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        onDelta(events, type, json);
        break;
      // Every other event (`*.done` texts, content and summary parts, built-in tool progress)
      // repeats what the deltas and output_item.done carry, or has no canonical form.
    }
    return events;
  }

  return {
    get done() {
      return done;
    },
    decode(data: string): StreamEvent[] {
      // Some OpenAI-compatible servers end the stream as chat completions do.
      if (data === '[DONE]') return [];
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        throw new ProviderUnreachableError(provider, `provider ${provider} sent a malformed stream frame (not JSON): ${data.slice(0, 200)}`);
      }
      return decodeEvent(parseUpstream(eventSchema, json, provider, 'stream event').type, json);
    },
  };
}
