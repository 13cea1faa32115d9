import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_IDS, startConformanceStack, type ConformanceStack, type ProviderId } from '../conformance/conformance-stack.ts';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';

/**
 * What each provider's answer looks like to an OpenAI SDK client: streamed text, reasoning, cached
 * and reasoning token counts, several choices. Backs cells of docs/providers.md.
 */

/** How each wire asks for `reasoning_effort: "low"`. */
const LOW_EFFORT: Record<ProviderId, Record<string, unknown>> = {
  openai: { reasoning_effort: 'low' },
  'azure-openai': { reasoning_effort: 'low' },
  anthropic: { thinking: { type: 'enabled', budget_tokens: 1024 } },
  gemini: { generationConfig: { thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } } },
};
/** The mock sends reasoning text on these wires only (OpenAI's and Azure's chat API send none). */
const SENDS_REASONING_TEXT: Record<ProviderId, boolean> = { openai: false, 'azure-openai': false, anthropic: true, gemini: true };
/** The mock reports reasoning tokens on these wires (Anthropic counts thinking in output_tokens only). */
const REPORTS_REASONING_TOKENS: Record<ProviderId, boolean> = { openai: true, 'azure-openai': true, anthropic: false, gemini: true };

/** Message fields the OpenAI SDK types do not know: Gantry's reasoning extension. */
interface WithReasoning {
  reasoning_content?: string;
  reasoning_signature?: string;
}

/**
 * A DeepSeek/vLLM-style OpenAI-compatible server, which sends reasoning as `reasoning_content`;
 * the mock provider speaks OpenAI's own wire, which has no reasoning text.
 */
function startReasoningServer(): Promise<Server> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (piece: Buffer) => (body += piece.toString()));
    request.on('end', () => {
      const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
      const head = { id: 'chatcmpl-r1', created: 1_700_000_000, model: 'deepseek-reasoner' };
      const usage = { prompt_tokens: 10, completion_tokens: 30, total_tokens: 40, completion_tokens_details: { reasoning_tokens: 25 } };
      if (!stream) {
        const message = { role: 'assistant', content: '4', reasoning_content: 'Two and two make four.' };
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ...head, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: 'stop' }], usage }));
        return;
      }
      const chunk = (choices: unknown[], extra: object = {}) => `data: ${JSON.stringify({ ...head, object: 'chat.completion.chunk', choices, ...extra })}\n\n`;
      const delta = (fields: object, finish: string | null = null) => chunk([{ index: 0, delta: fields, finish_reason: finish }]);
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(
        delta({ role: 'assistant', content: '' }) +
          delta({ reasoning_content: 'Two and two ' }) +
          delta({ reasoning_content: 'make four.' }) +
          delta({ content: '4' }) +
          delta({}, 'stop') +
          chunk([], { usage }) +
          'data: [DONE]\n\n',
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('conformance: responses from each provider', () => {
  let stack: ConformanceStack;
  let reasoningServer: Server;
  beforeAll(async () => {
    reasoningServer = await startReasoningServer();
    const { port } = reasoningServer.address() as AddressInfo;
    stack = await startConformanceStack('responses', { reasoner: { type: 'openai-compatible', base_url: `http://127.0.0.1:${port}/v1` } });
  });
  afterAll(async () => {
    await stack?.close();
    await new Promise((resolve) => reasoningServer?.close(resolve));
  });

  /** Streams through the SDK with include_usage and collects every chunk. */
  async function collect(request: { model: string } & Record<string, unknown>): Promise<ChatCompletionChunk[]> {
    const stream = await stack.openai().chat.completions.create({
      messages: [{ role: 'user', content: 'stream please' }],
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  }

  describe.each(PROVIDER_IDS)('%s', (provider) => {
    it('streams text in several chunks, then finish_reason stop and a usage chunk, all valid OpenAI chunks', async () => {
      const text = 'Streaming works one small piece at a time.';
      const model = stack.scripted(provider, [{ text, chunkSize: 5, usage: { input: 12, output: 9 } }]);
      const chunks = await collect({ model });
      expect(chunks.filter((chunk) => (chunk.choices[0]?.delta.content ?? '') !== '').length).toBeGreaterThan(1);
      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(text);
      expect(chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter(Boolean)).toEqual(['stop']);
      expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 } });
      for (const chunk of chunks) expect(openaiSchemaErrors('CreateChatCompletionStreamResponse', chunk)).toEqual([]);
    });

    it('maps reasoning_effort to the provider’s thinking setting and returns reasoning, streamed and not', async () => {
      const step = { text: 'Take an umbrella.', reasoning: 'Oslo in autumn: rain is likely.', usage: { input: 20, output: 40, reasoning: 30 } };
      const model = stack.scripted(provider, [step]);
      const request = { model, reasoning_effort: 'low' as const, messages: [{ role: 'user' as const, content: 'Umbrella in Oslo today?' }] };
      const completion = await stack.openai().chat.completions.create(request);
      const chunks = await collect(request);
      expect(stack.upstream(model)).toHaveLength(2);
      for (const sent of stack.upstream(model)) expect(sent.body).toMatchObject(LOW_EFFORT[provider]);

      const message = completion.choices[0]?.message as (typeof completion.choices)[number]['message'] & WithReasoning;
      expect(message.content).toBe('Take an umbrella.');
      const streamed = chunks.map((chunk) => (chunk.choices[0]?.delta as WithReasoning | undefined)?.reasoning_content ?? '').join('');
      const expected = SENDS_REASONING_TEXT[provider] ? step.reasoning : undefined;
      expect(message.reasoning_content).toBe(expected);
      expect(streamed).toBe(expected ?? '');
      // Anthropic signs its thinking; the signature must come back for the next turn.
      if (provider === 'anthropic') expect(message.reasoning_signature).toMatch(/\S/);
      if (REPORTS_REASONING_TOKENS[provider]) {
        expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBe(30);
        expect(chunks.at(-1)?.usage?.completion_tokens_details?.reasoning_tokens).toBe(30);
      }
      expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
    });

    it('reports cached input tokens as prompt_tokens_details.cached_tokens, streamed and not', async () => {
      const model = stack.scripted(provider, [{ text: 'cached', usage: { input: 1000, output: 4, cachedInput: 800 } }]);
      const completion = await stack.openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'long shared prefix …' }] });
      const chunks = await collect({ model });
      for (const usage of [completion.usage, chunks.at(-1)?.usage]) {
        expect(usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 800 } });
      }
    });
  });

  it('returns the reasoning text an OpenAI-compatible server sends as reasoning_content, streamed and not', async () => {
    const request = { model: 'reasoner/deepseek-reasoner', messages: [{ role: 'user' as const, content: 'What is 2+2?' }] };
    const completion = await stack.openai().chat.completions.create(request);
    expect(completion.choices[0]?.message).toMatchObject({ content: '4', reasoning_content: 'Two and two make four.' });
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBe(25);
    const chunks = await collect(request);
    expect(chunks.map((chunk) => (chunk.choices[0]?.delta as WithReasoning | undefined)?.reasoning_content ?? '').join('')).toBe('Two and two make four.');
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('4');
  });

  describe.each(['openai', 'azure-openai'] as const)('%s', (provider) => {
    it('returns as many choices as n asks for', async () => {
      const model = stack.scripted(provider, [{ text: 'one of several' }]);
      const completion = await stack.openai().chat.completions.create({ model, n: 3, messages: [{ role: 'user', content: 'three answers' }] });
      expect(stack.upstreamBody(model)).toMatchObject({ n: 3 });
      expect(completion.choices.map((choice) => [choice.index, choice.message.content])).toEqual([
        [0, 'one of several'],
        [1, 'one of several'],
        [2, 'one of several'],
      ]);
    });
  });

  it('sends n to Gemini as generationConfig.candidateCount', async () => {
    // The mock answers one candidate whatever the count; decoding several is a codec test.
    const model = stack.scripted('gemini', [{ text: 'one candidate' }]);
    const completion = await stack.openai().chat.completions.create({ model, n: 2, messages: [{ role: 'user', content: 'two answers' }] });
    expect(stack.upstreamBody(model)).toMatchObject({ generationConfig: { candidateCount: 2 } });
    expect(completion.choices[0]?.message.content).toBe('one candidate');
  });
});
