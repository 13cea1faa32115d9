import Anthropic from '@anthropic-ai/sdk';
import { BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConformanceStack, type ConformanceStack } from '../conformance/conformance-stack.ts';
import { MASTER_KEY } from '../support/start-stack.ts';

/**
 * Embeddings through the OpenAI SDK, and the Anthropic-format ingress at /v1/messages, for the
 * providers their own e2e files do not cover. Backs cells of docs/providers.md.
 */

const WEATHER_TOOL = { name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };

describe('conformance: embeddings and /v1/messages ingress', () => {
  let stack: ConformanceStack;
  let anthropic: Anthropic;
  beforeAll(async () => {
    stack = await startConformanceStack('embed-ingress');
    anthropic = new Anthropic({ apiKey: MASTER_KEY, baseURL: stack.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  describe.each([
    ['azure-openai', /^\/openai\/deployments\/[^/]+\/embeddings\?api-version=/],
    ['gemini', /:batchEmbedContents$/],
  ] as const)('%s', (provider, path) => {
    it('embeds a list of strings through the SDK, one vector per input in order', async () => {
      const model = stack.scripted(provider, [{ embeddingDimensions: 6 }]);
      const response = await stack.openai().embeddings.create({ model, input: ['first', 'second'] });
      expect(response.data.map((item) => [item.index, item.embedding.length])).toEqual([
        [0, 6],
        [1, 6],
      ]);
      expect(response.data[0]?.embedding).not.toEqual(response.data[1]?.embedding);
      expect(stack.upstream(model).at(-1)?.path).toMatch(path);
    });
  });

  it('refuses embeddings for anthropic with 400 naming the provider', async () => {
    const model = stack.scripted('anthropic', [{}]);
    const error = await stack.openai().embeddings.create({ model, input: 'hello' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).message).toContain('provider anthropic');
    expect((error as BadRequestError).message).toContain('embeddings');
    expect(stack.upstream(model)).toHaveLength(0);
  });

  it('serves azure-openai through /v1/messages: text, a stream and tool_use blocks the Anthropic SDK parses', async () => {
    const text = stack.scripted('azure-openai', [{ text: 'Bonjour from Azure.', chunkSize: 4 }]);
    const message = await anthropic.messages.create({ model: text, max_tokens: 64, system: 'Be brief.', messages: [{ role: 'user', content: 'Say hello' }] });
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Bonjour from Azure.' })]);
    expect(message.stop_reason).toBe('end_turn');
    expect(stack.upstreamBody(text)).toMatchObject({ max_completion_tokens: 64, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }] });

    let deltas = '';
    const stream = anthropic.messages.stream({ model: text, max_tokens: 64, messages: [{ role: 'user', content: 'Stream please' }] });
    stream.on('text', (piece) => (deltas += piece));
    expect((await stream.finalMessage()).stop_reason).toBe('end_turn');
    expect(deltas).toBe('Bonjour from Azure.');

    const calls = [
      { id: 'call_a1', name: 'get_weather', arguments: '{"city":"Edinburgh"}' },
      { id: 'call_b2', name: 'get_weather', arguments: '{"city":"Lisbon"}' },
    ];
    const tools = stack.scripted('azure-openai', [{ toolCalls: calls, chunkSize: 4 }]);
    const request = { model: tools, max_tokens: 128, tools: [WEATHER_TOOL], messages: [{ role: 'user' as const, content: 'Edinburgh and Lisbon?' }] };
    for (const answer of [await anthropic.messages.create(request), await anthropic.messages.stream(request).finalMessage()]) {
      const toolUses = answer.content.filter((block) => block.type === 'tool_use');
      expect(toolUses.map((block) => [block.name, block.input])).toEqual([
        ['get_weather', { city: 'Edinburgh' }],
        ['get_weather', { city: 'Lisbon' }],
      ]);
      expect(answer.stop_reason).toBe('tool_use');
    }
  });
});
