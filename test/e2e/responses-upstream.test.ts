import { APIError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Not a dependency of the test package; the same module the gateway loads (symlinks resolve to it).
import { acceptsBuiltinTools } from '../../packages/providers/src/index.ts';
import type { MockStep, RecordedRequest } from '../mock-provider/index.ts';
import { mockEncryptedReasoning } from '../mock-provider/openai-responses-wire.ts';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';
import { startStack, type Stack } from '../support/start-stack.ts';

/**
 * OpenAI (and Azure OpenAI) targets configured with `api: responses`: a client speaking chat
 * completions through the official SDK, the upstream receiving `POST /v1/responses`.
 */

const WEATHER_TOOL = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

/** Gantry's reasoning extension on chat messages and deltas, which the SDK types do not know. */
interface WithReasoning {
  reasoning_content?: string;
  reasoning_signature?: string;
}

describe('OpenAI targets with api: responses', () => {
  let stack: Stack;
  let sequence = 0;

  /** Scripts a unique model; `prefix` decides whether it is named like a reasoning model. */
  const scripted = (provider: string, steps: MockStep[], prefix = 'resp-e2e'): { model: string; name: string } => {
    const name = `${prefix}-${++sequence}`;
    stack.mock.script(name, steps);
    return { model: `${provider}/${name}`, name };
  };
  const upstream = (name: string): RecordedRequest[] => stack.mock.requests.filter((request) => request.model === name);
  const bodyOf = (request: RecordedRequest | undefined): Record<string, unknown> => (request?.body ?? {}) as Record<string, unknown>;

  beforeAll(async () => {
    stack = await startStack({
      config: (mockUrl) => ({
        providers: {
          local: { type: 'openai-compatible', base_url: `${mockUrl}/v1` },
          resp: { type: 'openai', base_url: `${mockUrl}/v1`, api_key: 'sk-resp-test', api: 'responses' },
          azresp: { type: 'azure-openai', base_url: mockUrl, api_key: 'az-resp-test', api: 'responses' },
        },
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers a chat completion from the upstream’s /v1/responses, system message as instructions, store false', async () => {
    const { model, name } = scripted('resp', [{ text: 'Hello from Responses.', usage: { input: 40, output: 6, cachedInput: 10 } }]);
    const completion = await stack.openai().chat.completions.create({ model, messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'hi' }] });
    expect(completion.choices[0]?.message.content).toBe('Hello from Responses.');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 6, prompt_tokens_details: { cached_tokens: 10 } });
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);

    const [request] = upstream(name);
    expect(request).toMatchObject({ path: '/v1/responses', format: 'openai-responses', headers: expect.objectContaining({ authorization: 'Bearer sk-resp-test' }) });
    expect(request?.body).toEqual({ model: name, instructions: 'Be kind.', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], store: false });
  });

  it('streams a chat completion from a Responses event stream, with usage at the end', async () => {
    const { model, name } = scripted('resp', [{ text: 'Streamed through Responses.', chunkSize: 5, usage: { input: 12, output: 5 } }]);
    const stream = await stack.openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'stream' }], stream: true, stream_options: { include_usage: true } });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Streamed through Responses.');
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop']);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5 });
    for (const chunk of chunks) expect(openaiSchemaErrors('CreateChatCompletionStreamResponse', chunk)).toEqual([]);
    expect(upstream(name)).toMatchObject([{ path: '/v1/responses', body: { stream: true, store: false } }]);
  });

  it('round-trips a streamed tool call: the next turn goes up as function_call and function_call_output items', async () => {
    const { model, name } = scripted('resp', [{ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }], chunkSize: 4 }, { text: 'Oslo is 3°C.' }]);
    const question: ChatCompletionMessageParam = { role: 'user', content: 'Weather in Oslo?' };
    const final = await stack.openai().chat.completions.stream({ model, tools: [WEATHER_TOOL], messages: [question] }).finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    const call = final.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call).toMatchObject({ id: expect.stringMatching(/^call_/), function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } });

    const answer = await stack.openai().chat.completions.create({
      model,
      tools: [WEATHER_TOOL],
      messages: [question, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: '3°C and clear' }],
    });
    expect(answer.choices[0]?.message.content).toBe('Oslo is 3°C.');
    const second = bodyOf(upstream(name)[1]);
    expect(second.tools).toEqual([{ type: 'function', name: 'get_weather', parameters: WEATHER_TOOL.function.parameters, strict: false }]);
    expect(second.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Oslo?' }] },
      { type: 'function_call', call_id: call.id, name: 'get_weather', arguments: '{"city":"Oslo"}' },
      { type: 'function_call_output', call_id: call.id, output: '3°C and clear' },
    ]);
  });

  it('returns tool calls on a non-streamed call, with finish_reason tool_calls', async () => {
    const { model } = scripted('resp', [{ toolCalls: [{ id: 'call_fixed', name: 'get_weather', arguments: '{"city":"Bergen"}' }] }]);
    const completion = await stack.openai().chat.completions.create({ model, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Bergen?' }] });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]?.message.tool_calls).toEqual([{ id: 'call_fixed', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bergen"}' } }]);
  });

  it('asks a reasoning model for encrypted reasoning and sends it back as a reasoning item on the next turn', async () => {
    const thought = 'Check the weather tool first.';
    const { model, name } = scripted('resp', [{ reasoning: thought, toolCalls: [{ id: 'call_r', name: 'get_weather', arguments: '{"city":"Oslo"}' }] }, { text: 'Done.' }], 'o4-mini-e2e');
    const first = await stack.openai().chat.completions.create({ model, tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Oslo?' }] });
    const message = first.choices[0]?.message as (typeof first.choices)[number]['message'] & WithReasoning;
    expect(message.reasoning_content).toBe(thought);
    expect(message.reasoning_signature).toBe(mockEncryptedReasoning(thought));
    expect(bodyOf(upstream(name)[0])).toMatchObject({ include: ['reasoning.encrypted_content'], store: false });

    const assistant = { role: 'assistant', content: null, tool_calls: message.tool_calls, reasoning_content: message.reasoning_content, reasoning_signature: message.reasoning_signature };
    await stack.openai().chat.completions.create({
      model,
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'Oslo?' }, assistant as ChatCompletionMessageParam, { role: 'tool', tool_call_id: 'call_r', content: '3°C' }],
    });
    expect((bodyOf(upstream(name)[1]).input as unknown[]).slice(1, 3)).toEqual([
      { type: 'reasoning', summary: [{ type: 'summary_text', text: thought }], encrypted_content: mockEncryptedReasoning(thought) },
      { type: 'function_call', call_id: 'call_r', name: 'get_weather', arguments: '{"city":"Oslo"}' },
    ]);
  });

  it('streams reasoning with the signature of the item’s output_item.done', async () => {
    const thought = 'Short thought.';
    const { model } = scripted('resp', [{ reasoning: thought, text: 'Answer.', chunkSize: 4 }], 'o4-mini-e2e');
    const stream = await stack.openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'think' }], stream: true });
    const deltas: WithReasoning[] = [];
    let text = '';
    for await (const chunk of stream) {
      deltas.push(chunk.choices[0]?.delta as WithReasoning);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(deltas.map((delta) => delta?.reasoning_content ?? '').join('')).toBe(thought);
    expect(deltas.map((delta) => delta?.reasoning_signature).filter(Boolean)).toEqual([mockEncryptedReasoning(thought)]);
    expect(text).toBe('Answer.');
  });

  it('maps an incomplete response (max_output_tokens) to finish_reason length', async () => {
    const { model, name } = scripted('resp', [{ text: 'cut', finishReason: 'length' }]);
    const completion = await stack.openai().chat.completions.create({ model, max_completion_tokens: 16, messages: [{ role: 'user', content: 'long story' }] });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(bodyOf(upstream(name)[0]).max_output_tokens).toBe(16);
  });

  it('fails the client’s stream with the upstream’s message when an error event follows content', async () => {
    const errorBody = { type: 'error', error: { type: 'server_error', code: 'server_error', message: 'backend exploded mid-response', param: null } };
    const { model } = scripted('resp', [{ text: 'abcdefgh', chunkSize: 4, errorEventAfterChunks: 1, errorBody }]);
    const stream = await stack.openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    const error = await (async () => {
      try {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(text).toBe('abcd');
    expect(error).toBeInstanceOf(APIError);
    expect((error as Error).message).toContain('backend exploded mid-response');
  });

  it('refuses n > 1 with a 400 naming n, without calling the upstream', async () => {
    const { model, name } = scripted('resp', [{ text: 'never' }]);
    const error = await stack.openai().chat.completions.create({ model, n: 2, messages: [{ role: 'user', content: 'hi' }] }).then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status: 400, param: 'n' });
    expect(upstream(name)).toEqual([]);
  });

  it('sends Azure OpenAI calls to /openai/v1/responses with the deployment as the model and the api-key header', async () => {
    const { model, name } = scripted('azresp', [{ text: 'Hello from Azure Responses.' }]);
    const completion = await stack.openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]?.message.content).toBe('Hello from Azure Responses.');
    expect(upstream(name)).toMatchObject([{ path: '/openai/v1/responses', format: 'openai-responses', headers: expect.objectContaining({ 'api-key': 'az-resp-test' }), body: { model: name, store: false } }]);
  });

  it('keeps embeddings on /embeddings, and accepts built-in tools only on api: responses targets', async () => {
    const { model, name } = scripted('resp', [{}]);
    const embedding = await stack.openai().embeddings.create({ model, input: 'hello' });
    expect(embedding.data).toHaveLength(1);
    expect(upstream(name)).toMatchObject([{ path: '/v1/embeddings' }]);
    const providers = stack.gateway.services.providers;
    expect(['resp', 'azresp', 'local'].map((provider) => acceptsBuiltinTools(providers.get(provider)!))).toEqual([true, true, false]);
  });
});
