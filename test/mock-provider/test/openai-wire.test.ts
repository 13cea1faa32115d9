import { describe, expect, it } from 'vitest';
import { keysOf, readJsonc, schemaErrors, uniqueModel, useMockProvider } from './wire-test-kit.ts';

const mock = useMockProvider();
const messages = [{ role: 'user', content: 'What is the weather like in Boston today?' }];

describe('openai wire: chat completions', () => {
  it('answers the default text with the recorded response envelope', async () => {
    const { status, body, headers } = await mock.postJson('/v1/chat/completions', { model: uniqueModel('gpt'), messages });
    expect(status).toBe(200);
    expect(headers.get('content-length')).not.toBeNull();
    expect(schemaErrors('CreateChatCompletionResponse', body)).toEqual([]);
    const fixture = readJsonc('openai/chat-response-default-usage-details.jsonc') as Record<string, Record<string, unknown>[]>;
    expect(keysOf(body)).toEqual([...keysOf(fixture), 'system_fingerprint'].sort());
    const choice = (body.choices as Record<string, unknown>[])[0];
    expect(keysOf(choice)).toEqual(keysOf(fixture.choices?.[0]));
    expect(keysOf(choice?.message)).toEqual(keysOf(fixture.choices?.[0]?.message));
    expect(choice?.message).toMatchObject({ role: 'assistant', content: 'Hello from the mock provider.', refusal: null, annotations: [] });
    expect(keysOf(body.usage)).toEqual(keysOf(fixture.usage));
    expect(body.id).toMatch(/^chatcmpl-/);
    // 41 characters of message text / 4
    expect(body.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 8, total_tokens: 19 });
  });

  it('returns tool calls with null content, generated call ids and finish_reason tool_calls', async () => {
    const model = uniqueModel('gpt-tools');
    mock.provider.script(model, [{ toolCalls: [{ name: 'get_current_weather', arguments: '{"location": "Boston, MA"}' }, { id: 'call_fixed', name: 'broken', arguments: '{"oops' }] }]);
    const { body } = await mock.postJson('/v1/chat/completions', { model, messages });
    expect(schemaErrors('CreateChatCompletionResponse', body)).toEqual([]);
    const choice = (body.choices as { message: { content: unknown; tool_calls: unknown[] }; finish_reason: string }[])[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const fixture = readJsonc('openai/chat-response-tool_calls.jsonc') as { choices: { message: { tool_calls: unknown[] } }[] };
    expect(keysOf(choice?.message.tool_calls[0])).toEqual(keysOf(fixture.choices[0]?.message.tool_calls[0]));
    expect(choice?.message.tool_calls).toEqual([
      { id: expect.stringMatching(/^call_\w{24}$/), type: 'function', function: { name: 'get_current_weather', arguments: '{"location": "Boston, MA"}' } },
      { id: 'call_fixed', type: 'function', function: { name: 'broken', arguments: '{"oops' } },
    ]);
  });

  it('honours n, scripted usage and the finish reason', async () => {
    const model = uniqueModel('gpt-n');
    mock.provider.script(model, [{ text: 'cut', finishReason: 'length', usage: { input: 100, output: 7, cachedInput: 40, reasoning: 3 } }]);
    const { body } = await mock.postJson('/v1/chat/completions', { model, messages, n: 3 });
    expect(schemaErrors('CreateChatCompletionResponse', body)).toEqual([]);
    const choices = body.choices as { index: number; finish_reason: string; message: { content: string } }[];
    expect(choices.map((choice) => [choice.index, choice.finish_reason, choice.message.content])).toEqual([
      [0, 'length', 'cut'],
      [1, 'length', 'cut'],
      [2, 'length', 'cut'],
    ]);
    expect(body.usage).toEqual({
      prompt_tokens: 100,
      completion_tokens: 7,
      total_tokens: 107,
      prompt_tokens_details: { cached_tokens: 40, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 3, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    });
  });

  it('returns scripted text as is for a json_schema response_format', async () => {
    const request = readJsonc('openai/chat-request-structured-output-json_schema.jsonc') as Record<string, unknown>;
    const model = uniqueModel('gpt-structured');
    mock.provider.script(model, [{ text: '{"steps":[],"final_answer":"-15/4"}' }]);
    const { body } = await mock.postJson('/v1/chat/completions', { ...request, model });
    expect((body.choices as { message: { content: string } }[])[0]?.message.content).toBe('{"steps":[],"final_answer":"-15/4"}');
  });

  it('answers scripted errors in the OpenAI error shape with the scripted headers', async () => {
    const model = uniqueModel('gpt-429');
    mock.provider.script(model, [{ status: 429, headers: { 'retry-after': '2' } }, { status: 400, errorBody: { error: { message: 'exact', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } }]);
    const limited = await mock.postJson('/v1/chat/completions', { model, messages });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(schemaErrors('ErrorResponse', limited.body)).toEqual([]);
    expect(limited.body.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded', param: null });
    const exact = await mock.postJson('/v1/chat/completions', { model, messages });
    expect(exact.status).toBe(400);
    expect(exact.body).toEqual({ error: { message: 'exact', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } });
  });

  it('rejects a body that is not JSON with a 400 in the OpenAI error shape', async () => {
    const { status, body } = await mock.postJson('/v1/chat/completions', '{"model": ');
    expect(status).toBe(400);
    expect(schemaErrors('ErrorResponse', body)).toEqual([]);
    expect(mock.provider.requests.at(-1)).toMatchObject({ body: null, format: 'openai', completed: true });
  });

  it('serves Azure deployments with the deployment as the model', async () => {
    const deployment = uniqueModel('azure-deployment');
    mock.provider.script(deployment, [{ text: 'from azure' }]);
    const { body } = await mock.postJson(`/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`, { messages }, { 'api-key': 'azure-key' });
    expect(schemaErrors('CreateChatCompletionResponse', body)).toEqual([]);
    expect(body.model).toBe(deployment);
    expect((body.choices as { message: { content: string } }[])[0]?.message.content).toBe('from azure');
    const recorded = mock.provider.requests.find((request) => request.model === deployment);
    expect(recorded).toMatchObject({ format: 'azure', path: `/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21` });
    expect(recorded?.headers['api-key']).toBe('azure-key');
  });
});

describe('openai wire: embeddings and models', () => {
  it('returns deterministic unit vectors per input, as floats or base64', async () => {
    const model = uniqueModel('embed');
    mock.provider.script(model, [{ embeddingDimensions: 16 }]);
    const { body } = await mock.postJson('/v1/embeddings', { model, input: ['alpha', 'beta', 'alpha'] });
    expect(schemaErrors('CreateEmbeddingResponse', body)).toEqual([]);
    const data = body.data as { object: string; index: number; embedding: number[] }[];
    expect(data.map((item) => [item.object, item.index, item.embedding.length])).toEqual([['embedding', 0, 16], ['embedding', 1, 16], ['embedding', 2, 16]]);
    expect(data[0]?.embedding).toEqual(data[2]?.embedding);
    expect(data[0]?.embedding).not.toEqual(data[1]?.embedding);
    expect(Math.hypot(...(data[0]?.embedding ?? []))).toBeCloseTo(1, 5);
    expect(body).toMatchObject({ object: 'list', model, usage: { prompt_tokens: 4, total_tokens: 4 } });

    const encoded = await mock.postJson('/v1/embeddings', { model, input: 'alpha', encoding_format: 'base64' });
    const bytes = Buffer.from((encoded.body.data as { embedding: string }[])[0]?.embedding ?? '', 'base64');
    const decoded = Array.from({ length: bytes.length / 4 }, (_, index) => bytes.readFloatLE(index * 4));
    expect(decoded).toEqual(data[0]?.embedding);
  });

  it('uses the request dimensions and accepts token arrays', async () => {
    const { body } = await mock.postJson('/v1/embeddings', { model: 'text-embedding-3-small', input: [[1, 2, 3]], dimensions: 4 });
    expect((body.data as { embedding: number[] }[])[0]?.embedding).toHaveLength(4);
  });

  it('lists the fixed models plus registered scripts', async () => {
    const model = uniqueModel('listed');
    mock.provider.script(model, [{}]);
    const response = await fetch(`${mock.provider.url}/v1/models`);
    const body = (await response.json()) as { data: { id: string; object: string; owned_by: string }[] };
    expect(schemaErrors('ListModelsResponse', body)).toEqual([]);
    expect(body.data.map((item) => item.id)).toEqual(expect.arrayContaining(['gpt-4o-mini', model]));
  });
});
