import type { ChatResult, GatewayError, StreamEvent } from '@gantry/spec';
import { expect } from 'vitest';
import { ChatResultBuilder } from '../src/index.ts';
import { encodeResponsesResponse, INCLUDE_ENCRYPTED_REASONING, type ResponsesEncodeOptions } from '../src/openai-responses/encode-responses-response.ts';
import { createResponsesStreamEncoder } from '../src/openai-responses/encode-responses-stream.ts';
import type { ResponsesEcho, ResponsesIdMinter, ResponsesResponse } from '../src/openai-responses/responses-types.ts';
import { parseSse, readFixture } from './load-fixture.ts';
import { openaiSchemaErrors } from './validate-openai-schema.ts';
import { DEFAULT_ECHO } from './responses-examples.ts';

/** What the Responses stream-encoder tests share: running an encoder, reading its frames, and checking them against the spec and the fold. */
export type Json = Record<string, unknown>;
export type Item = Json & { id: string; type: string };

export const ECHO = DEFAULT_ECHO;

/** `msg_1`, `fc_2`, …: one counter over all prefixes; two of them give the same ids for the same calls. */
export function counterIds(): ResponsesIdMinter {
  let count = 0;
  return (prefix) => `${prefix}_${++count}`;
}

export function options(mintId: ResponsesIdMinter = counterIds(), echo: ResponsesEcho = ECHO): ResponsesEncodeOptions {
  // The client asked to see reasoning signatures, so frames and the returned Response agree.
  return { id: 'resp_stream', createdAt: 1758064478, echo, mintId, include: [INCLUDE_ENCRYPTED_REASONING] };
}

export interface Encoded {
  sse: string;
  events: Json[];
  response: ResponsesResponse;
}

/** Every event through one encoder, then `finish()` (or `fail(error)`). */
export function encodeStream(events: readonly StreamEvent[], encodeOptions: ResponsesEncodeOptions = options(), error?: GatewayError): Encoded {
  const encoder = createResponsesStreamEncoder(encodeOptions);
  let sse = events.map((event) => encoder.encode(event)).join('');
  const end = error === undefined ? encoder.finish() : encoder.fail(error);
  sse += end.frames;
  return { sse, events: wireEvents(sse), response: end.response };
}

/** The frames of an encoded stream, checking the framing: `event: <type>` then one `data:` line whose `type` is the same. */
export function wireEvents(sse: string): Json[] {
  expect(sse.split('\n\n').filter((frame) => frame !== '').every((frame) => /^event: [a-z_.]+\ndata: \{[^\n]*\}$/.test(frame))).toBe(true);
  return parseSse(sse).map((frame) => {
    const data = JSON.parse(frame.data) as Json;
    expect(data.type).toBe(frame.event);
    return data;
  });
}

export function fold(events: readonly StreamEvent[]): ChatResult {
  const builder = new ChatResultBuilder();
  for (const event of events) builder.push(event);
  return builder.result();
}

/**
 * Rebuilds the output as a client reading the stream does, checking the order rules on the way:
 * created and in_progress first, sequence numbers 0, 1, 2…, one item open at a time at the next
 * output_index, part and delta events only for the open item and its current part, every `.done`
 * repeating what the deltas built, at least one arguments delta per function call. Returns the
 * items from their output_item.done events and the final Response.
 */
export function accumulate(events: readonly Json[]): { items: Item[]; response: Json } {
  expect(events.map((event) => event.sequence_number)).toEqual(events.map((_event, position) => position));
  expect(events.slice(0, 2).map((event) => event.type)).toEqual(['response.created', 'response.in_progress']);
  expect(JSON.stringify(events)).not.toContain('obfuscation');
  const items: Item[] = [];
  let open: (Item & { content?: Json[]; summary?: Json[]; deltas?: number }) | null = null;
  const last = events.at(-1)!;
  for (const event of events.slice(2, -1)) {
    const { type } = event;
    if (type === 'error') continue;
    if (type === 'response.output_item.added') {
      expect(open, 'an item was still open').toBeNull();
      expect(event.output_index).toBe(items.length);
      open = structuredClone(event.item) as Item;
      continue;
    }
    expect(open, `${String(type)} with no open item`).not.toBeNull();
    const item = open!;
    expect(event.output_index).toBe(items.length);
    if (type === 'response.output_item.done') {
      const done = event.item as Item;
      const { status: _status, encrypted_content: _encrypted, deltas, ...built } = item;
      const { status: _doneStatus, encrypted_content: _doneEncrypted, ...doneRest } = done;
      expect(doneRest).toEqual(built);
      if (item.type === 'function_call') expect(deltas ?? 0).toBeGreaterThan(0);
      items.push(done);
      open = null;
      continue;
    }
    expect(event.item_id).toBe(item.id);
    const parts = (item.content ?? item.summary ?? []) as Json[];
    const index = (event.content_index ?? event.summary_index) as number;
    switch (type) {
      case 'response.content_part.added':
      case 'response.reasoning_summary_part.added':
        expect(index).toBe(parts.length);
        parts.push(structuredClone(event.part) as Json);
        break;
      case 'response.output_text.delta':
        expect(event.logprobs).toEqual([]);
        parts[index]!.text = `${String(parts[index]!.text)}${String(event.delta)}`;
        break;
      case 'response.refusal.delta':
        parts[index]!.refusal = `${String(parts[index]!.refusal)}${String(event.delta)}`;
        break;
      case 'response.reasoning_summary_text.delta':
        expect(index).toBe(parts.length - 1);
        parts[index]!.text = `${String(parts[index]!.text)}${String(event.delta)}`;
        break;
      case 'response.output_text.done':
      case 'response.reasoning_summary_text.done':
        expect(event.text).toBe(parts[index]!.text);
        break;
      case 'response.refusal.done':
        expect(event.refusal).toBe(parts[index]!.refusal);
        break;
      case 'response.content_part.done':
      case 'response.reasoning_summary_part.done':
        expect(index).toBe(parts.length - 1);
        expect(event.part).toEqual(parts[index]);
        break;
      case 'response.function_call_arguments.delta':
        item.arguments = `${String(item.arguments)}${String(event.delta)}`;
        item.deltas = (item.deltas ?? 0) + 1;
        break;
      case 'response.function_call_arguments.done':
        expect(event.arguments).toBe(item.arguments);
        break;
      default:
        throw new Error(`unexpected event ${String(type)}`);
    }
  }
  const response = last.response as Json;
  if (last.type !== 'response.failed') {
    expect(open, 'an item was never done').toBeNull();
    expect(response.output).toEqual(items);
  }
  return { items, response };
}

/**
 * An event as the spec's ResponseStreamEvent wants it, for exactly the mismatches the fixtures
 * README lists under "Responses results" (recorded traffic wins): (1) `user: null` and (2)
 * `usage: null` in a Response dropped; (3) `cache_write_tokens` added to usage; (4)
 * `function_call_arguments.done` given the `name` the recordings do not send; (5) the `error`
 * event's nested details flattened.
 */
export function inSpecShape(event: Json, names: ReadonlyMap<string, string>): Json {
  if (event.type === 'error') {
    const { error, ...rest } = event;
    const { type: _type, ...details } = error as Json;
    return { ...rest, ...details };
  }
  if (event.type === 'response.function_call_arguments.done') return { ...event, name: names.get(event.item_id as string) };
  if (!('response' in event)) return event;
  const { user, usage, ...response } = event.response as Json;
  const patched: Json = { ...response, ...(user === null ? {} : { user }) };
  if (usage !== null) {
    const details = (usage as { input_tokens_details: Json }).input_tokens_details;
    patched.usage = { ...(usage as Json), input_tokens_details: { ...details, cache_write_tokens: 0 } };
  }
  return { ...event, response: patched };
}

export function expectSpecValid(events: readonly Json[]): void {
  const names = new Map<string, string>();
  for (const event of events) {
    const item = event.item as Item | undefined;
    if (item?.type === 'function_call') names.set(item.id, item.name as string);
    expect(openaiSchemaErrors('ResponseStreamEvent', inSpecShape(event, names)), JSON.stringify(event).slice(0, 300)).toEqual([]);
  }
}

/** The stream's final Response deep-equals the non-stream encoding of the folded events, ids included. */
export function expectSameAsFolded(events: readonly StreamEvent[], encoded: Encoded): void {
  expect(encoded.response).toEqual(encodeResponsesResponse(fold(events), options()));
  expect(encoded.events.at(-1)!.response).toEqual(encoded.response);
}

/** A recorded Responses stream: `.sse` frames (raw bytes) or `.chunks.jsonc` payloads (vercel, re-stringified). */
export function recordedEvents(fixture: string): Json[] {
  const text = readFixture(fixture);
  if (fixture.endsWith('.sse')) return parseSse(text).map((frame) => JSON.parse(frame.data) as Json);
  return JSON.parse(text.replace(/^\/\/.*$/gm, '')) as Json[];
}

/** The request echo and the item ids of a recorded stream, to encode it under the same names. */
export function recordedOptions(recorded: readonly Json[]): ResponsesEncodeOptions {
  const created = recorded[0]!.response as Json;
  const ids = recorded.filter((event) => event.type === 'response.output_item.added').map((event) => (event.item as Item).id);
  let next = 0;
  const mintId: ResponsesIdMinter = (prefix) => {
    const id = ids[next++] ?? '';
    expect(id.startsWith(`${prefix}_`)).toBe(true);
    return id;
  };
  const echo = Object.fromEntries(Object.keys(ECHO).map((key) => [key, created[key]])) as unknown as ResponsesEcho;
  return { id: created.id as string, createdAt: created.created_at as number, echo, mintId, include: [INCLUDE_ENCRYPTED_REASONING] };
}

/** Drops what Gantry does not send: `obfuscation` padding, and `prompt_cache_retention`, newer than Gantry’s echo. */
export function withoutPadding(event: Json): Json {
  const { obfuscation: _obfuscation, ...rest } = event;
  if (!('response' in rest)) return rest;
  const { prompt_cache_retention: _retention, ...response } = rest.response as Json;
  return { ...rest, response };
}

/** The canonical events a recorded Responses stream means, decoded by hand. */
export function canonicalOf(recorded: readonly Json[]): StreamEvent[] {
  const created = recorded[0]!.response as Json;
  const events: StreamEvent[] = [{ type: 'response-start', id: created.id as string, model: created.model as string, created: created.created_at as number }];
  for (const event of recorded) {
    const item = event.item as Item | undefined;
    if (event.type === 'response.output_text.delta') events.push({ type: 'text-delta', delta: event.delta as string });
    if (event.type === 'response.reasoning_summary_text.delta') events.push({ type: 'reasoning-delta', delta: event.delta as string });
    if (event.type === 'response.output_item.done' && item?.type === 'reasoning') {
      events.push({ type: 'reasoning-delta', delta: '', signature: item.encrypted_content as string });
    }
    if (event.type === 'response.output_item.added' && item?.type === 'function_call') {
      events.push({ type: 'tool-call-start', index: 0, id: item.call_id as string, name: item.name as string });
    }
    if (event.type === 'response.function_call_arguments.delta') events.push({ type: 'tool-call-delta', index: 0, argumentsDelta: event.delta as string });
    if (event.type === 'response.function_call_arguments.done') events.push({ type: 'tool-call-end', index: 0 });
  }
  const completed = recorded.at(-1)!.response as Json;
  const usage = completed.usage as { input_tokens: number; output_tokens: number; input_tokens_details: { cached_tokens: number }; output_tokens_details: { reasoning_tokens: number } };
  const calls = events.some((event) => event.type === 'tool-call-start');
  events.push(
    { type: 'finish', finishReason: calls ? 'tool-calls' : 'stop' },
    {
      type: 'usage',
      usage: {
        inputTokens: usage.input_tokens,
        outputTokens: usage.output_tokens,
        cachedInputTokens: usage.input_tokens_details.cached_tokens,
        reasoningTokens: usage.output_tokens_details.reasoning_tokens,
      },
    },
  );
  return events;
}
