import { InvalidRequestError, ProviderHttpError, type GatewayError, type StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { createAnthropicStreamDecoder } from '../src/index.ts';
import { encodeResponsesResponse } from '../src/openai-responses/encode-responses-response.ts';
import { createResponsesStreamEncoder } from '../src/openai-responses/encode-responses-stream.ts';
import { parseSse, readFixture } from './load-fixture.ts';
import { accumulate, encodeStream, expectSameAsFolded, expectSpecValid, fold, type Item, type Json, options, recordedEvents, recordedOptions, wireEvents, withoutPadding } from './responses-stream-kit.ts';

describe('responses codec › stream encode › failure', () => {
  it('writes the recorded error then response.failed shape: details nested in error:{type,code,message,param}, the failed Response with error {code, message}', () => {
    const recorded = recordedEvents('openai-responses/responses-stream-error-then-failed.chunks.jsonc');
    const created = recorded[0]!.response as Json;
    const error = new ProviderHttpError('openai', 429, 'You exceeded your current quota.', null);
    const encoded = encodeStream([{ type: 'response-start', id: 'x', model: created.model as string, created: 1 }], recordedOptions(recorded), error);
    expect(encoded.events.map((event) => event.type)).toEqual(recorded.map((event) => event.type));
    expect(encoded.events[2]).toEqual({
      type: 'error',
      sequence_number: 2,
      error: { type: 'rate_limit_error', code: 'rate_limited', message: 'You exceeded your current quota.', param: null },
    });
    expect(Object.keys(encoded.events[2]!.error as Json)).toEqual(Object.keys(recorded[2]!.error as Json));
    const failed = withoutPadding(recorded[3]!);
    const expected = { ...failed, response: { ...(failed.response as Json), error: { code: 'rate_limited', message: 'You exceeded your current quota.' } } };
    expect(JSON.stringify(encoded.events[3])).toBe(JSON.stringify(expected));
    expect(encoded.response).toEqual(expected.response);
    expectSpecValid(encoded.events.slice(0, 3));
  });

  it('fails an Anthropic stream broken by its recorded error event, keeping the text already sent as an incomplete message', () => {
    const decoder = createAnthropicStreamDecoder('anthropic');
    const encoder = createResponsesStreamEncoder(options());
    let sse = encoder.encode({ type: 'response-start', id: 'msg', model: 'claude', created: 1 }) + encoder.encode({ type: 'text-delta', delta: 'Partial' });
    let caught: GatewayError | undefined;
    try {
      for (const frame of parseSse(readFixture('anthropic/messages-stream-error-event.sse'))) decoder.decode(frame.data, frame.event);
    } catch (error) {
      caught = error as GatewayError;
    }
    expect(caught).toBeDefined();
    const end = encoder.fail(caught!);
    sse += end.frames;
    const events = wireEvents(sse);
    expect(events.slice(-2).map((event) => event.type)).toEqual(['error', 'response.failed']);
    expect(end.response).toMatchObject({ status: 'failed', error: { code: caught!.code, message: caught!.message }, usage: null, service_tier: 'auto' });
    expect(end.response.output).toEqual([
      { id: 'msg_1', type: 'message', status: 'incomplete', content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Partial' }], role: 'assistant' },
    ]);
    accumulate(events);
  });

  it('replaces the frames of a finish() that could not be sent (storing failed) when fail() follows it: same item closings, then error and response.failed, no gap in sequence numbers', () => {
    const events: StreamEvent[] = [START, { type: 'text-delta', delta: 'Hello' }, { type: 'finish', finishReason: 'stop' }];
    const encoder = createResponsesStreamEncoder(options());
    const sent = events.map((event) => encoder.encode(event)).join('');
    const finished = encoder.finish();
    const failed = encoder.fail(new InvalidRequestError('store failed'));
    const completedTypes = wireEvents(sent + finished.frames).map((event) => event.type);
    const failedEvents = wireEvents(sent + failed.frames);
    expect(failedEvents.map((event) => event.type)).toEqual([...completedTypes.slice(0, -1), 'error', 'response.failed']);
    accumulate(failedEvents);
    expect(failed.response).toMatchObject({ status: 'failed', output: finished.response.output, error: { code: 'invalid_request', message: 'store failed' } });
    expect(() => encoder.fail(new InvalidRequestError('again'))).toThrow(/at most once/);
  });

  it('writes created and in_progress before the error when nothing came, and refuses a second end', () => {
    const encoder = createResponsesStreamEncoder(options());
    const end = encoder.fail(new InvalidRequestError('tools[0].name: required', { param: 'tools[0].name' }));
    expect(wireEvents(end.frames).map((event) => event.type)).toEqual(['response.created', 'response.in_progress', 'error', 'response.failed']);
    expect(wireEvents(end.frames)[2]!.error).toEqual({ type: 'invalid_request_error', code: 'invalid_request', message: 'tools[0].name: required', param: 'tools[0].name' });
    expect(() => encoder.finish()).toThrow(/finish\(\) once/);
    expect(encoder.encode({ type: 'text-delta', delta: 'late' })).toBe('');
  });
});

const START: StreamEvent = { type: 'response-start', id: 'up', model: 'gemini-2.5-flash', created: 1 };

/** Hand-built sequences from upstreams that interleave, each with what the client must see. */
const INTERLEAVINGS: [string, StreamEvent[]][] = [
  [
    'text that arrives while a call is open, and parallel calls whose deltas interleave by index',
    [
      START,
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
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 7 } },
    ],
  ],
  [
    'a later call that ends before the open one',
    [
      START,
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'f' },
      { type: 'tool-call-start', index: 1, id: 'call_b', name: 'g' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{"b":2}' },
      { type: 'tool-call-end', index: 1 },
      { type: 'reasoning-delta', delta: 'hmm' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"a":1}' },
      { type: 'tool-call-end', index: 0 },
      { type: 'finish', finishReason: 'tool-calls' },
    ],
  ],
  [
    'reasoning with a signature then redacted data (one canonical part, two items), a Gemini signature-only carrier',
    [
      START,
      { type: 'reasoning-delta', delta: 'first' },
      { type: 'reasoning-delta', delta: '', signature: 'sig1' },
      { type: 'reasoning-delta', delta: '', redactedData: 'opaque' },
      { type: 'text-delta', delta: 'answer' },
      { type: 'reasoning-delta', delta: '', signature: 'gemini-sig' },
      { type: 'tool-call-start', index: 0, id: 'call_x', name: 'h' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"q":1}' },
      { type: 'tool-call-end', index: 0 },
      { type: 'finish', finishReason: 'tool-calls' },
    ],
  ],
  [
    'empty deltas that still start a canonical part: text, empty refusal, text; reasoning, empty text, reasoning',
    [
      { type: 'text-delta', delta: 'a' },
      { type: 'refusal-delta', delta: '' },
      { type: 'text-delta', delta: 'b' },
      { type: 'reasoning-delta', delta: 'x' },
      { type: 'text-delta', delta: '' },
      { type: 'reasoning-delta', delta: 'y' },
      { type: 'refusal-delta', delta: 'no' },
      { type: 'finish', finishReason: 'content-filter' },
    ],
  ],
  [
    'a call that never gets its end, with text held behind it, and another choice’s events in between',
    [
      START,
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'f' },
      { type: 'text-delta', choiceIndex: 1, delta: 'other choice' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"q":"x"}' },
      { type: 'text-delta', delta: 'done' },
      { type: 'tool-call-start', choiceIndex: 1, index: 0, id: 'call_z', name: 'z' },
      { type: 'finish', finishReason: 'length' },
      { type: 'finish', choiceIndex: 1, finishReason: 'stop' },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 2, cachedInputTokens: 1, reasoningTokens: 0 } },
    ],
  ],
  [
    'calls with no arguments at all and with arguments sent whole',
    [
      START,
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'now' },
      { type: 'tool-call-end', index: 0 },
      { type: 'tool-call-start', index: 1, id: 'call_b', name: 'f' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{"whole":true}' },
      { type: 'tool-call-end', index: 1 },
    ],
  ],
];

describe.each(INTERLEAVINGS)('responses codec › stream encode › interleaving: %s', (_name, events) => {
  const encoded = encodeStream(events);

  it('ends with the Response of the folded events, and a client rebuilds the same output from the deltas', () => {
    expectSameAsFolded(events, encoded);
    accumulate(encoded.events);
    expectSpecValid(encoded.events);
  });
});

describe('responses codec › stream encode › item layout', () => {
  it('holds text sent while a call is open and writes it as its own message after the call', () => {
    const { response } = encodeStream(INTERLEAVINGS[0]![1]);
    expect(response.output.map((item) => [item.type, item.id])).toEqual([['message', 'msg_1'], ['function_call', 'fc_2'], ['message', 'msg_3'], ['function_call', 'fc_4']]);
    expect(response.output[1]).toMatchObject({ arguments: '{"a":1}', call_id: 'call_a' });
    expect((response.output[2]!.content as Json[])[0]).toMatchObject({ text: ' (one moment)' });
  });

  it('keeps a message with an empty part between two text parts as two content parts, and splits reasoning at an empty text part', () => {
    const { response, events } = encodeStream(INTERLEAVINGS[3]![1]);
    expect(response.output.map((item) => item.type)).toEqual(['message', 'reasoning', 'reasoning', 'message']);
    expect((response.output[0]!.content as Json[]).map((part) => part.text)).toEqual(['a', 'b']);
    expect(response.output[3]).toMatchObject({ status: 'incomplete', content: [{ type: 'refusal', refusal: 'no' }] });
    expect(events.filter((event) => event.type === 'response.refusal.delta')).toEqual([
      { type: 'response.refusal.delta', sequence_number: expect.any(Number) as number, item_id: 'msg_4', output_index: 3, content_index: 0, delta: 'no' },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'response.incomplete', response: { incomplete_details: { reason: 'content_filter' } } });
  });

  it('sends one arguments delta for a call with none, and for one sent whole', () => {
    const { events } = encodeStream(INTERLEAVINGS[5]![1]);
    const deltas = events.filter((event) => event.type === 'response.function_call_arguments.delta').map((event) => [event.item_id, event.delta]);
    expect(deltas).toEqual([['fc_1', ''], ['fc_2', '{"whole":true}']]);
  });

  it('writes the signature and the redacted data as two reasoning items, encrypted_content only in output_item.done', () => {
    const { events } = encodeStream(INTERLEAVINGS[2]![1]);
    const reasoning = events.filter((event) => String(event.type).startsWith('response.output_item') && (event.item as Item).type === 'reasoning');
    expect(reasoning.map((event) => [event.type, event.item])).toEqual([
      ['response.output_item.added', { id: 'rs_1', type: 'reasoning', summary: [] }],
      ['response.output_item.done', { id: 'rs_1', type: 'reasoning', encrypted_content: 'sig1', summary: [{ type: 'summary_text', text: 'first' }] }],
      ['response.output_item.added', { id: 'rs_2', type: 'reasoning', summary: [] }],
      ['response.output_item.done', { id: 'rs_2', type: 'reasoning', encrypted_content: 'gantry:redacted:opaque', summary: [] }],
      ['response.output_item.added', { id: 'rs_4', type: 'reasoning', summary: [] }],
      ['response.output_item.done', { id: 'rs_4', type: 'reasoning', encrypted_content: 'gemini-sig', summary: [] }],
    ]);
  });

  it('closes a call that never got its end at finish, marks the cut message incomplete, and ignores choice 1', () => {
    const { response, events } = encodeStream(INTERLEAVINGS[4]![1]);
    expect(response.output).toEqual([
      { id: 'fc_1', type: 'function_call', status: 'completed', arguments: '{"q":"x"}', call_id: 'call_a', name: 'f' },
      { id: 'msg_2', type: 'message', status: 'incomplete', content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'done' }], role: 'assistant' },
    ]);
    expect(response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { input_tokens: 5, input_tokens_details: { cached_tokens: 1 }, total_tokens: 7 } });
    expect(JSON.stringify(events)).not.toContain('other choice');
  });

  it('writes created, in_progress and completed with empty output when no event came, model unknown', () => {
    const encoder = createResponsesStreamEncoder(options());
    const end = encoder.finish();
    const events = wireEvents(end.frames);
    expect(events.map((event) => event.type)).toEqual(['response.created', 'response.in_progress', 'response.completed']);
    expect(end.response).toMatchObject({ status: 'completed', output: [], usage: null, model: '', service_tier: 'default' });
    expect(events[0]!.response).toMatchObject({ status: 'in_progress', output: [], usage: null, service_tier: 'auto' });
  });

  it('starts the stream on the first event whatever it is, and sends nothing for events with no wire form yet', () => {
    const encoder = createResponsesStreamEncoder(options());
    const first = wireEvents(encoder.encode({ type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } }));
    expect(first.map((event) => event.type)).toEqual(['response.created', 'response.in_progress']);
    expect(encoder.encode({ type: 'text-delta', delta: '' })).toBe('');
    expect(encoder.encode({ type: 'finish', finishReason: 'stop' })).toBe('');
    expect(wireEvents(encoder.finish().frames).at(-1)!.sequence_number).toBe(2);
  });

  it('cannot stream a delta that comes after its call’s tool-call-end (the item is done on the wire) but keeps it in the final Response, as the fold does', () => {
    // The OpenAI chat decoder ends a call when the next index starts, so an upstream that goes back
    // to an earlier index produces exactly this.
    const events: StreamEvent[] = [
      START,
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'f' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"a":' },
      { type: 'tool-call-end', index: 0 },
      { type: 'tool-call-start', index: 1, id: 'call_b', name: 'g' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{}' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '1}' },
      { type: 'tool-call-end', index: 1 },
    ];
    const encoded = encodeStream(events);
    expectSameAsFolded(events, encoded);
    const done = encoded.events.find((event) => event.type === 'response.function_call_arguments.done' && event.item_id === 'fc_1');
    expect(done?.arguments).toBe('{"a":');
    expect(encoded.response.output[0]).toMatchObject({ arguments: '{"a":1}' });
  });
});

/** mulberry32: a small seeded generator, so that a failing sequence can be replayed from its seed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random canonical stream of choice 0 (with choice-1 noise): text, refusal and reasoning deltas
 * (some empty, some with signatures or redacted data), parallel calls whose deltas interleave by
 * index and end in any order or never, then a finish and maybe usage. Deltas only go to calls not
 * yet ended, as the canonical contract says.
 */
function randomStream(seed: number): StreamEvent[] {
  const random = seeded(seed);
  const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)]!;
  const words = ['', 'a', ' b', 'cd', '{"x":', '1}', 'é', '\n'];
  const events: StreamEvent[] = random() < 0.8 ? [START] : [];
  const live: number[] = [];
  let nextCall = 0;
  const steps = 5 + Math.floor(random() * 30);
  for (let step = 0; step < steps; step++) {
    const roll = random();
    if (roll < 0.2) events.push({ type: 'text-delta', delta: pick(words) });
    else if (roll < 0.27) events.push({ type: 'refusal-delta', delta: pick(words) });
    else if (roll < 0.4) {
      const signature = random() < 0.3 ? { signature: `sig${step}` } : {};
      const redacted = random() < 0.15 ? { redactedData: `red${step}` } : {};
      events.push({ type: 'reasoning-delta', delta: pick(words), ...signature, ...redacted });
    } else if (roll < 0.55) {
      live.push(nextCall);
      events.push({ type: 'tool-call-start', index: nextCall, id: `call_${nextCall}`, name: `tool${nextCall}` });
      nextCall++;
    } else if (roll < 0.8 && live.length > 0) events.push({ type: 'tool-call-delta', index: pick(live), argumentsDelta: pick(words) });
    else if (roll < 0.9 && live.length > 0) {
      const index = pick(live);
      live.splice(live.indexOf(index), 1);
      events.push({ type: 'tool-call-end', index });
    } else events.push({ type: 'text-delta', choiceIndex: 1, delta: 'noise' });
  }
  events.push({ type: 'finish', finishReason: pick(['stop', 'length', 'tool-calls', 'content-filter', 'other'] as const) });
  if (random() < 0.7) events.push({ type: 'usage', usage: { inputTokens: 10, outputTokens: steps, reasoningTokens: 2 } });
  return events;
}

describe('responses codec › stream encode › 300 random interleavings', () => {
  it('ends every one with the Response of the folded events, which a client also rebuilds from the deltas', () => {
    let items = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const events = randomStream(seed);
      const encoded = encodeStream(events);
      expect(encoded.response, `seed ${seed}`).toEqual(encodeResponsesResponse(fold(events), options()));
      items += accumulate(encoded.events).items.length;
    }
    expect(items).toBeGreaterThan(1000);
  });
});

describe('responses codec › stream encode › reasoning signatures a client did not ask for', () => {
  it('leaves encrypted_content out of every frame without include, and keeps it in the Response to store', () => {
    const encoder = createResponsesStreamEncoder({ ...options(), include: [] });
    let frames = '';
    for (const event of [
      { type: 'response-start', id: 'x', model: 'm', created: 1 },
      { type: 'reasoning-delta', delta: 'Thinking.' },
      { type: 'reasoning-delta', delta: '', signature: 'sig-1' },
      { type: 'text-delta', delta: 'Answer.' },
      { type: 'finish', finishReason: 'stop' },
    ] satisfies StreamEvent[])
      frames += encoder.encode(event);
    const { response, frames: closing } = encoder.finish();
    expect(frames + closing).not.toContain('sig-1');
    expect(frames + closing).toContain('Thinking.');
    expect(response.output[0]).toMatchObject({ type: 'reasoning', encrypted_content: 'sig-1' });
  });
});
