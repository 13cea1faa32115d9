import { ChatResultBuilder } from '@gantry/formats';
import { InvalidRequestError, ProviderHttpError, ProviderUnreachableError, type ChatRequest, type StreamEvent } from '@gantry/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../../../test/mock-provider/index.ts';
import { countAnthropicTokens, createAnthropicProvider, type AnthropicProvider } from '../src/anthropic/index.ts';
import type { ProviderConfig } from '../src/provider-config.ts';

// What the mock signs thinking with (test/mock-provider/anthropic-wire.ts).
const MOCK_SIGNATURE = Buffer.from('mock-provider-signature-not-a-real-signature').toString('base64');

let mock: MockProvider;
let provider: AnthropicProvider;
let config: ProviderConfig;

function request(text: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'claude/any', messages: [{ role: 'user', content: [{ type: 'text', text }] }], stream: false, includeUsage: false, ...extra };
}

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  mock = await startMockProvider();
  config = { name: 'claude', type: 'anthropic', baseUrl: `${mock.url}/v1`, apiKey: 'sk-ant-test' };
  provider = createAnthropicProvider(config);
});

afterAll(async () => {
  await provider.close();
  await mock.close();
});

describe('anthropic provider › chat', () => {
  it('posts a Messages body with x-api-key and anthropic-version, and decodes text and usage', async () => {
    mock.script('claude-chat', [{ text: 'Bonjour.', usage: { input: 40, output: 3, cachedInput: 30 } }]);
    const { result, raw } = await provider.chat(request('Say hello in French', { maxOutputTokens: 64 }), { model: 'claude-chat' });
    expect(result.choices).toEqual([{ index: 0, content: [{ type: 'text', text: 'Bonjour.' }], finishReason: 'stop', rawFinishReason: 'end_turn' }]);
    // The mock reports input_tokens = 40 − 30 cached; canonical input includes the cached tokens again.
    expect(result.usage).toEqual({ inputTokens: 40, outputTokens: 3, cachedInputTokens: 30, cacheWriteInputTokens: 0 });
    const sent = mock.requests.at(-1)!;
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/messages', format: 'anthropic' });
    expect(sent.headers).toMatchObject({ 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' });
    expect(sent.body).toEqual({ model: 'claude-chat', messages: [{ role: 'user', content: 'Say hello in French' }], max_tokens: 64 });
    expect(raw).toMatchObject({ url: `${mock.url}/v1/messages`, status: 200 });
  });

  it('decodes tool calls and thinking with its signature', async () => {
    mock.script('claude-tools', [{ reasoning: 'Need the tool.', toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] }]);
    const { result } = await provider.chat(request('Weather in Oslo?', { reasoningEffort: 'low' }), { model: 'claude-tools' });
    expect(result.choices[0]).toMatchObject({
      content: [
        { type: 'reasoning', text: 'Need the tool.', signature: MOCK_SIGNATURE },
        { type: 'tool-call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      ],
      finishReason: 'tool-calls',
    });
    expect(mock.requests.at(-1)?.body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 4096 });
  });

  it('turns a 529 into a retryable ProviderHttpError carrying Anthropic’s message', async () => {
    mock.script('claude-529', [{ status: 529 }]);
    const error = await failureOf(provider.chat(request('hi'), { model: 'claude-529' }));
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect(error).toMatchObject({ provider: 'claude', upstreamStatus: 529, status: 502, retryable: true, body: { error: { type: 'overloaded_error' } } });
    expect((error as Error).message).toBe('provider claude returned HTTP 529: Overloaded');
  });

  it('keeps a 400 a non-retryable client error', async () => {
    mock.script('claude-400', [{ status: 400 }]);
    expect(await failureOf(provider.chat(request('hi'), { model: 'claude-400' }))).toMatchObject({ upstreamStatus: 400, status: 400, retryable: false });
  });

  it('rejects n > 1 before calling upstream', async () => {
    const before = mock.requests.length;
    expect(await failureOf(provider.chat(request('hi', { n: 2 }), { model: 'claude-n' }))).toBeInstanceOf(InvalidRequestError);
    expect(mock.requests).toHaveLength(before);
  });
});

describe('anthropic provider › chatStream', () => {
  it('streams thinking, text and tool calls that fold into the non-streaming result', async () => {
    mock.script('claude-stream', [
      { reasoning: 'Think first.', text: 'Calling two tools.', toolCalls: [{ name: 'a', arguments: '{"x":1}' }, { name: 'b', arguments: '{"y":[1,2]}' }], chunkSize: 5 },
    ]);
    const stream = await provider.chatStream(request('go', { stream: true }), { model: 'claude-stream' });
    const events = await collect(stream);
    expect(mock.requests.at(-1)?.body).toMatchObject({ stream: true, model: 'claude-stream' });
    const builder = new ChatResultBuilder();
    for (const event of events) builder.push(event);
    const [choice] = builder.result().choices;
    expect(choice?.content).toEqual([
      { type: 'reasoning', text: 'Think first.', signature: MOCK_SIGNATURE },
      { type: 'text', text: 'Calling two tools.' },
      { type: 'tool-call', id: expect.stringMatching(/^toolu_01/), name: 'a', arguments: '{"x":1}' },
      { type: 'tool-call', id: expect.stringMatching(/^toolu_01/), name: 'b', arguments: '{"y":[1,2]}' },
    ]);
    expect(events.filter((event) => event.type === 'tool-call-start').map((event) => event.index)).toEqual([0, 1]);
    expect(events.slice(-2).map((event) => event.type)).toEqual(['finish', 'usage']);
    expect(stream.raw.responseBody).toContain('event: message_stop');
  });

  it('throws a retryable ProviderHttpError (529) on a mid-stream overloaded_error, after the content before it', async () => {
    mock.script('claude-stream-error', [{ text: 'partial answer here', chunkSize: 4, errorEventAfterChunks: 2 }]);
    const stream = await provider.chatStream(request('go', { stream: true }), { model: 'claude-stream-error' });
    const seen: StreamEvent[] = [];
    const error = await failureOf(
      (async () => {
        for await (const event of stream) seen.push(event);
      })(),
    );
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect(error).toMatchObject({ upstreamStatus: 529, retryable: true });
    expect(seen.filter((event) => event.type === 'text-delta').map((event) => event.delta)).toEqual(['part', 'ial ']);
  });

  it('throws ProviderUnreachableError when the body ends before message_stop', async () => {
    mock.script('claude-stream-cut', [{ text: 'cut short', disconnectAfterChunks: 1 }]);
    const stream = await provider.chatStream(request('go', { stream: true }), { model: 'claude-stream-cut' });
    expect(await failureOf(collect(stream))).toBeInstanceOf(ProviderUnreachableError);
  });

  it('turns a 429 before the stream into a rate-limited ProviderHttpError', async () => {
    mock.script('claude-stream-429', [{ status: 429, headers: { 'retry-after': '7' } }]);
    const error = await failureOf(provider.chatStream(request('go', { stream: true }), { model: 'claude-stream-429' }));
    expect(error).toMatchObject({ upstreamStatus: 429, status: 429, code: 'rate_limited', retryable: true, headers: { 'retry-after': '7' } });
  });
});

describe('anthropic provider › embeddings and token counting', () => {
  it('has no embeddings API', async () => {
    const error = await failureOf(provider.embed({ model: 'claude/x', input: 'hi' }, { model: 'x' }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toContain('anthropic has no embeddings API');
  });

  it('counts tokens at /messages/count_tokens, sending only the fields that endpoint takes', async () => {
    mock.script('claude-count', [{ usage: { input: 321 } }]);
    const { inputTokens, raw } = await countAnthropicTokens(config, request('count me', { maxOutputTokens: 10, temperature: 0.5, tools: [{ name: 'f' }] }), {
      model: 'claude-count',
    });
    expect(inputTokens).toBe(321);
    expect(raw.url).toBe(`${mock.url}/v1/messages/count_tokens`);
    expect(mock.requests.at(-1)).toMatchObject({ path: '/v1/messages/count_tokens' });
    expect(mock.requests.at(-1)?.body).toEqual({
      model: 'claude-count',
      messages: [{ role: 'user', content: 'count me' }],
      tools: [{ name: 'f', input_schema: { type: 'object', properties: {} } }],
    });
  });
});
