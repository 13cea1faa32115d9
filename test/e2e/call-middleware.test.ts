import { listSpansByRun } from '@gantry/db';
import { unfoldChatResult } from '@gantry/formats';
import { InvalidRequestError, type CallMiddleware, type ChatRequest, type ChatResult, type StreamEvent } from '@gantry/spec';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerTotals } from '../support/budget-helpers.ts';
import { startStack, type Stack } from '../support/start-stack.ts';
import { storedSpan } from '../support/stored-span.ts';

const MODEL = 'local/seam-model';
const PROVIDER_TEXT = 'the provider says hello';

/** What the answering middleware serves, as a stored answer would be: text and a tool call. */
const STORED: ChatResult = {
  id: 'chatcmpl-stored',
  model: 'seam-model',
  created: 1_700_000_000,
  choices: [
    {
      index: 0,
      content: [
        { type: 'text', text: 'from the store' },
        { type: 'tool-call', id: 'call_stored_1', name: 'lookup', arguments: '{"q":"weather"}' },
      ],
      finishReason: 'tool-calls',
    },
  ],
  usage: { inputTokens: 11, outputTokens: 7 },
};

/** Where each seam was crossed, in order. */
const crossings: string[] = [];

function lastUserText(request: ChatRequest): string {
  const message = request.messages.findLast((each) => each.role === 'user');
  return message?.content.map((part) => (part.type === 'text' ? part.text : '')).join('') ?? '';
}

function upper(result: ChatResult): ChatResult {
  return { ...result, choices: result.choices.map((choice) => ({ ...choice, content: choice.content.map((part) => (part.type === 'text' ? { ...part, text: part.text.toUpperCase() } : part)) })) };
}

async function* upperStream(events: AsyncIterable<StreamEvent>): AsyncIterable<StreamEvent> {
  for await (const event of events) yield event.type === 'text-delta' ? { ...event, delta: event.delta.toUpperCase() } : event;
}

async function* replay(events: readonly StreamEvent[]): AsyncIterable<StreamEvent> {
  yield* events;
}

/** Outermost: redacts a word on the way in, shouts on the way out, tags the span. */
const shout: CallMiddleware = {
  name: 'shout',
  transformRequest({ request, context }) {
    crossings.push('shout:request');
    context.setAttribute('shouted', true);
    const text = lastUserText(request);
    if (text.includes('BLOCK')) throw new InvalidRequestError('messages[0]: blocked by the shout middleware', { param: 'messages[0]' });
    return { ...request, messages: request.messages.map((message) => (message.role === 'user' ? { ...message, content: message.content.map((part) => (part.type === 'text' ? { ...part, text: part.text.replaceAll('SECRET', '[redacted]') } : part)) } : message)) };
  },
  async wrapComplete({ next }) {
    crossings.push('shout:before');
    const result = await next();
    crossings.push('shout:after');
    return upper(result);
  },
  async wrapStream({ next }) {
    crossings.push('shout:before');
    return upperStream(await next());
  },
};

/** Innermost: answers prompts that start with `stored:` itself, as a cache hit would. */
const store: CallMiddleware = {
  name: 'answer-store',
  transformRequest({ request }) {
    crossings.push('store:request');
    return request;
  },
  async wrapComplete({ request, next }) {
    crossings.push('store:before');
    if (lastUserText(request).startsWith('stored:')) return STORED;
    const result = await next();
    crossings.push('store:after');
    return result;
  },
  async wrapStream({ request, next }) {
    crossings.push('store:before');
    if (lastUserText(request).startsWith('stored:')) return replay(unfoldChatResult(STORED));
    return next();
  },
};

describe('call middleware seams', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ middleware: [shout, store], config: { pricing: { [MODEL]: { input: 1, output: 2 } } } });
    stack.mock.script('seam-model', [{ text: PROVIDER_TEXT, usage: { input: 20, output: 5 } }]);
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    crossings.length = 0;
    stack.mock.requests.length = 0;
  });

  it('sends the provider the request as the middleware rewrote it, and records that request', async () => {
    const { data, response } = await stack.openai().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'my SECRET plan' }] }).withResponse();
    expect(data.choices[0]?.message.content).toBe(PROVIDER_TEXT.toUpperCase());
    const sent = stack.mock.requests[0]?.body as { messages: { content: string }[] };
    expect(sent.messages[0]?.content).toBe('my [redacted] plan');
    const span = await storedSpan(stack, response.headers.get('x-gantry-span-id'));
    expect(span.request).toMatchObject({ type: 'chat', version: 1, model: MODEL, messages: [{ role: 'user', content: [{ type: 'text', text: 'my [redacted] plan' }] }] });
    expect(span.attributes).toMatchObject({ shouted: true });
  });

  it('runs request sides in list order and result sides in reverse, and records the result before it was changed', async () => {
    const { data, response } = await stack.openai().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    expect(crossings).toEqual(['shout:request', 'store:request', 'shout:before', 'store:before', 'store:after', 'shout:after']);
    expect(data.choices[0]?.message.content).toBe(PROVIDER_TEXT.toUpperCase());
    expect(response.headers.get('x-gantry-answered-by')).toBeNull();
    const span = await storedSpan(stack, response.headers.get('x-gantry-span-id'));
    expect(span.result).toMatchObject({ type: 'chat', version: 1, choices: [{ content: [{ type: 'text', text: PROVIDER_TEXT }] }] });
    expect(span).toMatchObject({ inputTokens: 20, outputTokens: 5, provider: 'local' });
  });

  it('wraps a stream: the client gets the transformed events, the recorder the provider’s', async () => {
    const stream = await stack.openai().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hello' }], stream: true }).withResponse();
    let text = '';
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(PROVIDER_TEXT.toUpperCase());
    const span = await storedSpan(stack, stream.response.headers.get('x-gantry-span-id'));
    expect(span.result).toMatchObject({ choices: [{ content: [{ type: 'text', text: PROVIDER_TEXT }] }] });
    expect(span.firstTokenAt).not.toBeNull();
  });

  it('lets a middleware answer a call: no provider request, a cache span, tool spans, the reservation released', async () => {
    const runId = `seam-answer-${Date.now()}`;
    const { data, response } = await stack
      .openai()
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'stored: weather' }] }, { headers: { 'x-gantry-run-id': runId, 'x-gantry-run-budget-usd': '1' } })
      .withResponse();
    expect(stack.mock.requests).toHaveLength(0);
    // The outer middleware still shapes what the client receives.
    expect(data.choices[0]?.message.content).toBe('FROM THE STORE');
    expect(data.choices[0]?.message.tool_calls?.[0]).toMatchObject({ id: 'call_stored_1', function: { name: 'lookup', arguments: '{"q":"weather"}' } });
    expect(response.headers.get('x-gantry-answered-by')).toBe('answer-store');
    expect(response.headers.get('x-gantry-attempts')).toBe('0');
    expect(response.headers.get('x-gantry-target')).toBeNull();

    const span = await storedSpan(stack, response.headers.get('x-gantry-span-id'));
    expect(span).toMatchObject({ kind: 'llm', status: 'ok', costMicros: 0, inputTokens: 0, outputTokens: 0, provider: null });
    expect(span.attributes).toMatchObject({ answered_by: 'answer-store' });
    expect(span.result).toMatchObject({ choices: [{ content: [{ type: 'text', text: 'from the store' }, { type: 'tool-call', id: 'call_stored_1' }] }] });
    const spans = await listSpansByRun(stack.database.db, runId);
    expect(spans.filter((each) => each.parentSpanId === span.id).map((each) => ({ kind: each.kind, name: each.name }))).toEqual([{ kind: 'cache', name: 'answer-store' }]);
    expect(spans.filter((each) => each.kind === 'tool').map((each) => each.toolCallId)).toEqual(['call_stored_1']);

    await stack.gateway.services.budgets.drain();
    const ledger = await ledgerTotals(stack.database, { rootRunId: runId });
    expect(ledger).toMatchObject({ open: 0, settledCount: 0, settled: 0 });
    expect(ledger.reservedOfReleased).toBeGreaterThan(0);
  });

  it('lets a middleware answer a stream with unfolded events the SDK reads like a provider’s', async () => {
    const stream = await stack.openai().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'stored: weather' }], stream: true }).withResponse();
    let text = '';
    const toolCalls: { id?: string; name?: string; arguments: string }[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream.data) {
      const choice = chunk.choices[0];
      text += choice?.delta.content ?? '';
      for (const call of choice?.delta.tool_calls ?? []) {
        toolCalls[call.index] ??= { arguments: '' };
        const entry = toolCalls[call.index]!;
        if (call.id !== undefined) entry.id = call.id;
        if (call.function?.name !== undefined) entry.name = call.function.name;
        entry.arguments += call.function?.arguments ?? '';
      }
      finish = choice?.finish_reason ?? finish;
    }
    expect(stack.mock.requests).toHaveLength(0);
    expect(text).toBe('FROM THE STORE');
    expect(toolCalls).toEqual([{ id: 'call_stored_1', name: 'lookup', arguments: '{"q":"weather"}' }]);
    expect(finish).toBe('tool_calls');
    expect(stream.response.headers.get('x-gantry-answered-by')).toBe('answer-store');
    const span = await storedSpan(stack, stream.response.headers.get('x-gantry-span-id'));
    expect(span.attributes).toMatchObject({ answered_by: 'answer-store', stream: true });
    expect(span.result).toMatchObject({ choices: [{ content: [{ type: 'text', text: 'from the store' }, { type: 'tool-call', name: 'lookup' }] }] });
  });

  it('answers a request-side refusal with a 400 in the client’s wire, recorded, and never reaches the provider', async () => {
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${(stack.openai() as unknown as { apiKey: string }).apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'please BLOCK this' }] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { message: 'messages[0]: blocked by the shout middleware', param: 'messages[0]', type: 'invalid_request_error' } });
    expect(stack.mock.requests).toHaveLength(0);
    const span = await storedSpan(stack, response.headers.get('x-gantry-span-id'));
    expect(span).toMatchObject({ status: 'error', httpStatus: 400 });
  });
});
