import { APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockStep, RecordedRequest } from '../mock-provider/index.ts';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

describe('chat completions (streaming)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  function upstreamRequests(model: string): RecordedRequest[] {
    return stack.mock.requests.filter((request) => request.model === model);
  }

  /** Streams through the SDK and collects every chunk. */
  async function collect(model: string, options: { includeUsage?: boolean } = {}): Promise<ChatCompletionChunk[]> {
    const stream = await stack.openai().chat.completions.create({
      model: `local/${model}`,
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
      ...(options.includeUsage === undefined ? {} : { stream_options: { include_usage: options.includeUsage } }),
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  }

  /** Streams through the SDK until it throws; returns the text received before, and the error. */
  async function streamUntilFailure(model: string, step: MockStep): Promise<{ text: string; error: unknown }> {
    stack.mock.script(model, [step]);
    const stream = await stack.openai().chat.completions.create({ model: `local/${model}`, messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    } catch (error) {
      return { text, error };
    }
    return { text, error: undefined };
  }

  /** POSTs a streaming request with fetch and returns the raw `data:` payloads, in order. */
  async function rawFrames(body: Record<string, unknown>): Promise<{ status: number; headers: Headers; frames: string[] }> {
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    const frames = text
      .split('\n\n')
      .filter((frame) => frame.trim() !== '')
      .map((frame) => {
        expect(frame.startsWith('data: ')).toBe(true);
        return frame.slice('data: '.length);
      });
    return { status: response.status, headers: response.headers, frames };
  }

  it('streams text through the SDK that concatenates to the scripted text', async () => {
    const text = 'Streaming works one small piece at a time.';
    stack.mock.script('st-text', [{ text, chunkSize: 5 }]);
    const chunks = await collect('st-text');
    const contentChunks = chunks.filter((chunk) => (chunk.choices[0]?.delta.content ?? '') !== '');
    expect(contentChunks.length).toBeGreaterThan(1);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(text);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('streams parallel tool calls that the SDK stream helper reassembles exactly', async () => {
    const toolCalls = [
      { id: 'call_search_1', name: 'search_docs', arguments: '{"query":"fastify plugins","limit":5}' },
      { id: 'call_weather_2', name: 'get_weather', arguments: '{"city":"São Paulo","unit":"celsius"}' },
      { id: 'call_time_3', name: 'get_time', arguments: '{"zone":"Europe/Berlin"}' },
    ];
    stack.mock.script('st-tools', [{ toolCalls, chunkSize: 4 }]);
    const runner = stack.openai().chat.completions.stream({
      model: 'local/st-tools',
      messages: [{ role: 'user', content: 'do three things' }],
      tools: toolCalls.map((call) => ({ type: 'function' as const, function: { name: call.name, parameters: { type: 'object' } } })),
    });
    let argumentDeltas = 0;
    runner.on('chunk', (chunk) => {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) if ((call.function?.arguments ?? '') !== '') argumentDeltas += 1;
    });
    const completion = await runner.finalChatCompletion();
    // Arguments really were split across chunks.
    expect(argumentDeltas).toBeGreaterThan(toolCalls.length * 2);
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.tool_calls?.map((call) => (call.type === 'function' ? { id: call.id, name: call.function.name, arguments: call.function.arguments } : call))).toEqual(
      toolCalls,
    );
  });

  it('ends with a usage chunk with empty choices when the client asks for include_usage', async () => {
    stack.mock.script('st-usage', [{ text: 'counted', usage: { input: 9, output: 2 } }]);
    const chunks = await collect('st-usage', { includeUsage: true });
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage == null)).toBe(true);
    expect(upstreamRequests('st-usage').at(-1)?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('sends no usage to a client that did not ask, yet always asks the upstream for it', async () => {
    stack.mock.script('st-no-usage', [{ text: 'not counted for you', usage: { input: 9, output: 4 } }]);
    const withoutOptions = await collect('st-no-usage');
    const explicitlyOff = await collect('st-no-usage', { includeUsage: false });
    for (const chunks of [withoutOptions, explicitlyOff]) {
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.filter((chunk) => chunk.usage != null)).toEqual([]);
      expect(chunks.filter((chunk) => chunk.choices.length === 0)).toEqual([]);
    }
    const upstream = upstreamRequests('st-no-usage');
    expect(upstream).toHaveLength(2);
    for (const request of upstream) expect(request.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('emits raw SSE where every chunk validates against the OpenAI schema and the stream ends with [DONE]', async () => {
    stack.mock.script('st-raw-text', [{ text: 'Raw frames, validated one by one.', chunkSize: 6 }]);
    stack.mock.script('st-raw-tools', [{ toolCalls: [{ id: 'call_a', name: 'lookup', arguments: '{"id":12345,"verbose":true}' }, { id: 'call_b', name: 'lookup', arguments: '{"id":678}' }], chunkSize: 5 }]);
    const cases = [
      { model: 'local/st-raw-text', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
      { model: 'local/st-raw-text', messages: [{ role: 'user', content: 'hi' }], stream: true },
      { model: 'local/st-raw-tools', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
    ];
    for (const body of cases) {
      const { status, headers, frames } = await rawFrames(body);
      expect(status).toBe(200);
      expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(headers.get('x-gantry-run-id')).toMatch(/\S/);
      expect(headers.get('x-gantry-span-id')).toMatch(/\S/);
      expect(headers.get('x-gantry-target')).toBe(body.model);
      expect(frames.at(-1)).toBe('[DONE]');
      expect(frames.filter((frame) => frame === '[DONE]')).toHaveLength(1);
      const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame) as Record<string, unknown>);
      expect(chunks.length).toBeGreaterThan(3);
      for (const chunk of chunks) expect(openaiSchemaErrors('CreateChatCompletionStreamResponse', chunk), JSON.stringify(chunk)).toEqual([]);
    }
  });

  it('ends a stream that fails midway with an OpenAI error frame and no [DONE]', async () => {
    stack.mock.script('st-raw-disconnect', [{ text: 'abcdefghijklmnop', chunkSize: 4, disconnectAfterChunks: 2 }]);
    const { status, frames } = await rawFrames({ model: 'local/st-raw-disconnect', messages: [{ role: 'user', content: 'hi' }], stream: true });
    expect(status).toBe(200);
    expect(frames).not.toContain('[DONE]');
    const payloads = frames.map((frame) => JSON.parse(frame) as Record<string, unknown>);
    const last = payloads.pop();
    expect(openaiSchemaErrors('ErrorResponse', last)).toEqual([]);
    expect((last as { error: { message: string } }).error.message).toContain('provider local');
    for (const chunk of payloads) expect(openaiSchemaErrors('CreateChatCompletionStreamResponse', chunk)).toEqual([]);
    expect(payloads.map((chunk) => (chunk as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '').join('')).toBe('abcdefgh');
  });

  it('cancels the upstream request when the client disconnects mid-stream', async () => {
    stack.mock.script('st-client-abort', [{ text: 'x'.repeat(400), chunkSize: 4, chunkDelayMs: 100 }]);
    const controller = new AbortController();
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'local/st-client-abort', messages: [{ role: 'user', content: 'long story' }], stream: true }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    controller.abort();
    await reader.read().catch(() => undefined);

    let upstream = upstreamRequests('st-client-abort');
    for (let waited = 0; waited < 5_000 && upstream[0]?.aborted !== true; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      upstream = upstreamRequests('st-client-abort');
    }
    expect(upstream).toHaveLength(1);
    expect(upstream[0]).toMatchObject({ aborted: true, completed: false });
  });

  it('raises an error in the SDK iteration when the upstream disconnects mid-stream', async () => {
    const { text, error } = await streamUntilFailure('st-disconnect', { text: 'abcdefghijklmnopqrstuvwx', chunkSize: 4, disconnectAfterChunks: 2 });
    expect(text).toBe('abcdefgh');
    expect(error).toBeInstanceOf(APIError);
    expect((error as Error).message).toContain('provider local');
  });

  it('raises an error in the SDK iteration when the upstream sends a malformed frame', async () => {
    const { text, error } = await streamUntilFailure('st-malformed', { text: 'abcdefghijklmnopqrstuvwx', chunkSize: 4, malformedAfterChunks: 3 });
    expect(text).toBe('abcdefghijkl');
    expect(error).toBeInstanceOf(APIError);
    expect((error as Error).message).toContain('provider local');
  });

  it('raises an error in the SDK iteration when the upstream sends an in-stream error event', async () => {
    const { text, error } = await streamUntilFailure('st-error-event', {
      text: 'abcdefghijklmnopqrstuvwx',
      chunkSize: 4,
      errorEventAfterChunks: 1,
      errorBody: { error: { message: 'backend exploded', type: 'server_error', param: null, code: null } },
    });
    expect(text).toBe('abcd');
    expect(error).toBeInstanceOf(APIError);
    expect((error as Error).message).toContain('backend exploded');
  });

  it('answers a stream whose upstream fails before the first byte with an ordinary 502 error', async () => {
    stack.mock.script('st-pre-503', [{ status: 503 }]);
    const error = await stack
      .openai()
      .chat.completions.create({ model: 'local/st-pre-503', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(502);
    expect((error as APIError).message).toContain('provider local');
  });
});
