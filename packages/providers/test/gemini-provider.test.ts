import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProviderHttpError, ProviderUnreachableError, type ChatRequest, type StreamEvent } from '@gantry/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../../../test/mock-provider/index.ts';
import { createGeminiProvider } from '../src/gemini/index.ts';
import type { Provider } from '../src/provider.ts';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/wire/', import.meta.url));
const readFixture = (relative: string): string => readFileSync(path.join(FIXTURES, relative), 'utf8');

const ask = (text: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gemini/x',
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  stream: false,
  includeUsage: false,
  ...extra,
});

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('gemini provider against the mock provider', () => {
  let mock: MockProvider;
  let provider: Provider;
  let counter = 0;
  const model = (name: string): string => `${name}-${process.pid}-${++counter}`;

  beforeAll(async () => {
    mock = await startMockProvider();
    provider = createGeminiProvider({ name: 'google', baseUrl: `${mock.url}/v1beta`, apiKey: 'g-key' });
  });
  afterAll(async () => {
    await provider.close();
    await mock.close();
  });

  it('posts to models/{model}:generateContent with x-goog-api-key and decodes thoughts, text and usage', async () => {
    const name = model('gemini-chat');
    mock.script(name, [{ reasoning: 'Thinking it over.', text: 'Hello!', usage: { input: 20, output: 15, reasoning: 5, cachedInput: 4 } }]);
    const { result, raw } = await provider.chat(ask('Hi', { temperature: 0.3 }), { model: name });
    expect(result.choices).toEqual([
      { index: 0, content: [{ type: 'reasoning', text: 'Thinking it over.' }, { type: 'text', text: 'Hello!' }], finishReason: 'stop', rawFinishReason: 'STOP' },
    ]);
    expect(result.usage).toEqual({ inputTokens: 20, cachedInputTokens: 4, outputTokens: 15, reasoningTokens: 5 });
    expect(result.model).toBe(name);
    const recorded = mock.requests.at(-1);
    expect(recorded).toMatchObject({ path: `/v1beta/models/${name}:generateContent`, format: 'gemini', headers: { 'x-goog-api-key': 'g-key' } });
    expect(recorded?.headers).not.toHaveProperty('authorization');
    expect(recorded?.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], generationConfig: { temperature: 0.3 } });
    expect(raw).toMatchObject({ url: `${mock.url}/v1beta/models/${name}:generateContent`, status: 200 });
  });

  it('streams several function calls from one chunk with distinct ids and one index each', async () => {
    const name = model('gemini-tools');
    mock.script(name, [
      {
        text: 'Let me do all three.',
        toolCalls: [
          { name: 'print', arguments: '{"text":"hello","color":"blue"}' },
          { name: 'beep', arguments: '{}' },
          { name: 'controlLight', arguments: '{"brightness":50}' },
        ],
        chunkSize: 5,
      },
    ]);
    const stream = await provider.chatStream(ask('go', { stream: true }), { model: name });
    const events = await collect(stream);
    expect(mock.requests.at(-1)?.path).toBe(`/v1beta/models/${name}:streamGenerateContent?alt=sse`);
    const starts = events.filter((event): event is Extract<StreamEvent, { type: 'tool-call-start' }> => event.type === 'tool-call-start');
    expect(starts.map((start) => [start.index, start.name])).toEqual([[0, 'print'], [1, 'beep'], [2, 'controlLight']]);
    expect(new Set(starts.map((start) => start.id)).size).toBe(3);
    for (const index of [0, 1, 2]) {
      expect(events.filter((event) => event.type === 'tool-call-delta' && event.index === index)).toHaveLength(1);
      expect(events.filter((event) => event.type === 'tool-call-end' && event.index === index)).toHaveLength(1);
    }
    const text = events.flatMap((event) => (event.type === 'text-delta' ? [event.delta] : [])).join('');
    expect(text).toBe('Let me do all three.');
    expect(events.slice(-2).map((event) => event.type)).toEqual(['finish', 'usage']);
    expect(events.at(-2)).toMatchObject({ finishReason: 'tool-calls', rawFinishReason: 'STOP' });
    expect(String(stream.raw.responseBody)).toContain('"functionCall"');
  });

  it('rejects RESOURCE_EXHAUSTED as a retryable 429 before any event', async () => {
    const name = model('gemini-quota');
    mock.script(name, [{ status: 429 }]);
    const error = await failure(provider.chatStream(ask('x', { stream: true }), { model: name }));
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect(error).toMatchObject({ provider: 'google', upstreamStatus: 429, status: 429, retryable: true, code: 'rate_limited' });
    expect((error as Error).message).toContain('RESOURCE_EXHAUSTED');
  });

  it('throws the in-stream INTERNAL error as a retryable ProviderHttpError after the content before it', async () => {
    const name = model('gemini-midstream');
    mock.script(name, [{ text: 'abcdefghij', chunkSize: 5, errorEventAfterChunks: 1 }]);
    const events: StreamEvent[] = [];
    const error = await failure((async () => {
      for await (const event of await provider.chatStream(ask('x', { stream: true }), { model: name })) events.push(event);
    })());
    expect(events.filter((event) => event.type === 'text-delta')).toEqual([{ type: 'text-delta', delta: 'abcde' }]);
    expect(error).toMatchObject({ upstreamStatus: 500, retryable: true });
    expect(error).toBeInstanceOf(ProviderHttpError);
  });

  it('reports a stream cut before any finishReason as unreachable', async () => {
    const name = model('gemini-cut');
    mock.script(name, [{ text: 'abcdefghij', chunkSize: 5, disconnectAfterChunks: 1 }]);
    const error = await failure(collect(await provider.chatStream(ask('x', { stream: true }), { model: name })));
    expect(error).toBeInstanceOf(ProviderUnreachableError);
  });

  it('embeds one text with embedContent and a list with batchEmbedContents', async () => {
    const name = model('gemini-embed');
    mock.script(name, [{ embeddingDimensions: 6 }]);
    const one = await provider.embed({ model: 'g/e', input: 'hello' }, { model: name });
    expect(mock.requests.at(-1)?.path).toBe(`/v1beta/models/${name}:embedContent`);
    expect(one.result.embeddings).toHaveLength(1);
    expect(one.result.embeddings[0]).toHaveLength(6);
    const unscripted = model('gemini-embed-dimensions');
    const many = await provider.embed({ model: 'g/e', input: ['a', 'b', 'c'], dimensions: 3 }, { model: unscripted });
    expect(mock.requests.at(-1)).toMatchObject({ path: `/v1beta/models/${unscripted}:batchEmbedContents` });
    expect((mock.requests.at(-1)?.body as { requests: unknown[] }).requests[0]).toEqual({ model: `models/${unscripted}`, content: { parts: [{ text: 'a' }] }, outputDimensionality: 3 });
    expect(many.result.embeddings.map((vector) => (vector as number[]).length)).toEqual([3, 3, 3]);
    expect(many.result.model).toBe(unscripted);
  });
});

describe('gemini provider reading recorded stream bytes', () => {
  let server: Server;
  let body = '';
  let provider: Provider;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    provider = createGeminiProvider({ name: 'gemini', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1beta` });
  });
  afterAll(async () => {
    await provider.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('splits events terminated by \\n\\n, \\r\\r and \\r\\n\\r\\n (the SDK framing recording)', async () => {
    body = readFixture('gemini/streamGenerateContent-sse-framing.sse');
    const events = await collect(await provider.chatStream(ask('x', { stream: true }), { model: 'gemini-2.0-flash' }));
    expect(events.flatMap((event) => (event.type === 'text-delta' ? [event.delta] : []))).toEqual(['One', 'Two', 'Three']);
    expect(events.filter((event) => event.type === 'finish')).toHaveLength(1);
  });

  it('raises the bare error object that follows a data chunk (the in-stream error recording)', async () => {
    const bare = readFixture('gemini/error-500-INTERNAL-in-stream.txt').split('\n').filter((line) => line.startsWith('{')).join('\n');
    body = `data: {"candidates": [{"content": {"parts": [{"text": "partial"}],"role": "model"}}]}\n\n${bare}`;
    const error = await failure(collect(await provider.chatStream(ask('x', { stream: true }), { model: 'gemini-2.0-flash' })));
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect(error).toMatchObject({ upstreamStatus: 500, body: { error: { code: 500, message: 'Internal error', status: 'INTERNAL' } } });
  });

  it('raises a pretty-printed error object spread over several lines', async () => {
    body = '{\n  "error": {\n    "code": 503,\n    "message": "The model is overloaded.",\n    "status": "UNAVAILABLE"\n  }\n}\n';
    const error = await failure(collect(await provider.chatStream(ask('x', { stream: true }), { model: 'gemini-2.0-flash' })));
    expect(error).toMatchObject({ upstreamStatus: 503, retryable: true });
  });

  it('fails a finished stream that ends in a bare error object cut short', async () => {
    body = 'data: {"candidates": [{"content": {"parts": [{"text": "done"}],"role": "model"},"finishReason": "STOP"}]}\n\n{\n  "error": {\n    "code": 500,\n';
    const error = await failure(collect(await provider.chatStream(ask('x', { stream: true }), { model: 'gemini-2.0-flash' })));
    expect(error).toBeInstanceOf(ProviderUnreachableError);
    expect((error as Error).message).toContain('malformed stream frame');
  });
});
