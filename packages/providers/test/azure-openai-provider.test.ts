import { ProviderHttpError, type ChatRequest, type StreamEvent } from '@gantry/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../../../test/mock-provider/index.ts';
import { AZURE_OPENAI_DEFAULT_API_VERSION, createAzureOpenAIProvider } from '../src/azure-openai/index.ts';
import type { Provider } from '../src/provider.ts';

const ask = (text: string, stream = false): ChatRequest => ({
  model: 'azure/x',
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  stream,
  includeUsage: stream,
});

describe('azure-openai provider against the mock provider', () => {
  let mock: MockProvider;
  let provider: Provider;
  let counter = 0;
  const deployment = (name: string): string => `${name}-${process.pid}-${++counter}`;

  beforeAll(async () => {
    mock = await startMockProvider();
    provider = createAzureOpenAIProvider({ name: 'azure', baseUrl: mock.url, apiKey: 'az-key' });
  });
  afterAll(async () => {
    await provider.close();
    await mock.close();
  });

  it('posts to the deployment URL with the default api-version and an api-key header', async () => {
    const name = deployment('gpt-4o-deploy');
    mock.script(name, [{ text: 'Hi from Azure.' }]);
    const { result, raw } = await provider.chat(ask('Hi'), { model: name });
    expect(result.choices[0]).toMatchObject({ content: [{ type: 'text', text: 'Hi from Azure.' }], finishReason: 'stop' });
    expect(AZURE_OPENAI_DEFAULT_API_VERSION).toBe('2024-10-21');
    const recorded = mock.requests.at(-1);
    expect(recorded).toMatchObject({
      path: `/openai/deployments/${name}/chat/completions?api-version=2024-10-21`,
      format: 'azure',
      model: name,
      headers: { 'api-key': 'az-key' },
    });
    expect(recorded?.headers).not.toHaveProperty('authorization');
    expect(raw.url).toBe(`${mock.url}/openai/deployments/${name}/chat/completions?api-version=2024-10-21`);
  });

  it('uses the configured apiVersion and streams tool calls through the OpenAI codec', async () => {
    const preview = createAzureOpenAIProvider({ name: 'azure-preview', baseUrl: `${mock.url}/`, apiKey: 'k', apiVersion: '2025-04-01-preview' });
    try {
      const name = deployment('gpt-4o-stream');
      mock.script(name, [{ toolCalls: [{ name: 'a', arguments: '{"x":1}' }, { name: 'b', arguments: '{}' }] }]);
      const events: StreamEvent[] = [];
      for await (const event of await preview.chatStream(ask('go', true), { model: name })) events.push(event);
      expect(mock.requests.at(-1)?.path).toBe(`/openai/deployments/${name}/chat/completions?api-version=2025-04-01-preview`);
      expect(events.filter((event) => event.type === 'tool-call-start').map((event) => (event as { index: number }).index)).toEqual([0, 1]);
      expect(events.find((event) => event.type === 'finish')).toMatchObject({ finishReason: 'tool-calls' });
      expect(events.some((event) => event.type === 'usage')).toBe(true);
    } finally {
      await preview.close();
    }
  });

  it('rejects a 429 as retryable', async () => {
    const name = deployment('gpt-4o-busy');
    mock.script(name, [{ status: 429, headers: { 'retry-after': '3' } }]);
    const error = await provider.chat(ask('x'), { model: name }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect(error).toMatchObject({ upstreamStatus: 429, retryable: true, headers: { 'retry-after': '3' } });
  });

  it('embeds through the deployment embeddings URL', async () => {
    const name = deployment('embed-deploy');
    const { result } = await provider.embed({ model: 'azure/e', input: ['a', 'b'], dimensions: 4 }, { model: name });
    expect(mock.requests.at(-1)?.path).toBe(`/openai/deployments/${name}/embeddings?api-version=2024-10-21`);
    expect(result.embeddings.map((vector) => (vector as number[]).length)).toEqual([4, 4]);
  });
});

describe('azure-openai provider reading an Azure stream', () => {
  it('skips the opening prompt_filter_results chunk so the response keeps its real id and model', async () => {
    const { createServer } = await import('node:http');
    const chunk = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
    const body =
      chunk({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] }) +
      chunk({ id: 'chatcmpl-az1', model: 'gpt-4o-2024-11-20', created: 1, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] }) +
      chunk({ id: 'chatcmpl-az1', model: 'gpt-4o-2024-11-20', created: 1, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
      'data: [DONE]\n\n';
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const provider = createAzureOpenAIProvider({ name: 'azure', baseUrl: `http://127.0.0.1:${port}` });
    try {
      const events: StreamEvent[] = [];
      for await (const event of await provider.chatStream(ask('x', true), { model: 'd' })) events.push(event);
      expect(events[0]).toMatchObject({ type: 'response-start', id: 'chatcmpl-az1', model: 'gpt-4o-2024-11-20' });
      expect(events.filter((event) => event.type === 'response-start')).toHaveLength(1);
    } finally {
      await provider.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
