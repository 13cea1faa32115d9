import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../mock-provider/index.ts';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';
import { startStack, type Stack } from '../support/start-stack.ts';

describe('chat completions (non-streaming)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** The one upstream request the mock recorded for a uniquely named script. */
  function upstreamRequest(model: string): RecordedRequest {
    const requests = stack.mock.requests.filter((request) => request.model === model);
    expect(requests).toHaveLength(1);
    return requests[0]!;
  }

  function upstreamBody(model: string): Record<string, unknown> {
    return upstreamRequest(model).body as Record<string, unknown>;
  }

  it('returns the scripted text with finish_reason stop and usage', async () => {
    stack.mock.script('cc-text', [{ text: 'The sky is blue.', usage: { input: 11, output: 5 } }]);
    const completion = await stack.openai().chat.completions.create({
      model: 'local/cc-text',
      messages: [{ role: 'user', content: 'What colour is the sky?' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'The sky is blue.' });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 });
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
    expect(upstreamBody('cc-text')).toMatchObject({ model: 'cc-text', messages: [{ role: 'user', content: 'What colour is the sky?' }] });
  });

  it('returns parallel tool calls with their ids, names and arguments intact', async () => {
    const toolCalls = [
      { id: 'call_weather_paris', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
      { id: 'call_time_tokyo', name: 'get_time', arguments: '{"zone":"Asia/Tokyo","format":"24h"}' },
    ];
    stack.mock.script('cc-tools', [{ toolCalls }]);
    const completion = await stack.openai().chat.completions.create({
      model: 'local/cc-tools',
      messages: [{ role: 'user', content: 'Weather in Paris and time in Tokyo?' }],
      tools: [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } },
      ],
      parallel_tool_calls: true,
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toEqual(
      toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
    );
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
    expect(upstreamBody('cc-tools')).toMatchObject({ parallel_tool_calls: true, tools: [{ function: { name: 'get_weather' } }, { function: { name: 'get_time' } }] });
  });

  it('passes a json_schema response_format to the upstream unchanged and returns the JSON content', async () => {
    const json = '{"name":"Ada","born":1815}';
    stack.mock.script('cc-json-schema', [{ text: json }]);
    const responseFormat = {
      type: 'json_schema' as const,
      json_schema: {
        name: 'person',
        description: 'A person and the year they were born',
        strict: true,
        schema: {
          type: 'object',
          properties: { name: { type: 'string' }, born: { type: 'integer' } },
          required: ['name', 'born'],
          additionalProperties: false,
        },
      },
    };
    const completion = await stack.openai().chat.completions.create({
      model: 'local/cc-json-schema',
      messages: [{ role: 'user', content: 'Who wrote the first program?' }],
      response_format: responseFormat,
    });
    expect(upstreamBody('cc-json-schema').response_format).toEqual(responseFormat);
    expect(completion.choices[0]?.message.content).toBe(json);
    expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual({ name: 'Ada', born: 1815 });
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
  });

  it('forwards OpenAI parameters without a canonical meaning to the upstream verbatim', async () => {
    stack.mock.script('cc-passthrough', [{ text: 'ok' }]);
    const passthrough = {
      logprobs: true,
      top_logprobs: 3,
      logit_bias: { '50256': -100, '1234': 5 },
      service_tier: 'flex' as const,
      metadata: { team: 'search', ticket: 'GAN-42' },
      store: true,
    };
    const completion = await stack.openai().chat.completions.create({
      model: 'local/cc-passthrough',
      messages: [{ role: 'user', content: 'hi' }],
      ...passthrough,
    });
    expect(upstreamBody('cc-passthrough')).toMatchObject(passthrough);
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
  });

  it('keeps max_tokens as max_tokens upstream', async () => {
    stack.mock.script('cc-max-tokens', [{ text: 'ok' }]);
    const completion = await stack.openai().chat.completions.create({ model: 'local/cc-max-tokens', messages: [{ role: 'user', content: 'hi' }], max_tokens: 42 });
    const body = upstreamBody('cc-max-tokens');
    expect(body.max_tokens).toBe(42);
    expect(body).not.toHaveProperty('max_completion_tokens');
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
  });

  it('keeps max_completion_tokens as max_completion_tokens upstream', async () => {
    stack.mock.script('cc-max-completion-tokens', [{ text: 'ok' }]);
    const completion = await stack.openai().chat.completions.create({
      model: 'local/cc-max-completion-tokens',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 64,
    });
    const body = upstreamBody('cc-max-completion-tokens');
    expect(body.max_completion_tokens).toBe(64);
    expect(body).not.toHaveProperty('max_tokens');
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
  });

  it('resolves the bare alias name fast to its target local/llama3', async () => {
    const before = stack.mock.requests.filter((request) => request.model === 'llama3').length;
    const { data: completion, response } = await stack
      .openai()
      .chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(completion.choices[0]?.message.content).toBe('Hello from the mock provider.');
    expect(response.headers.get('x-gantry-target')).toBe('local/llama3');
    expect(stack.mock.requests.filter((request) => request.model === 'llama3')).toHaveLength(before + 1);
    expect(stack.mock.requests.at(-1)?.body).toMatchObject({ model: 'llama3' });
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
  });

  it('sends a provider/model name to that provider with the prefix removed', async () => {
    stack.mock.script('cc-direct', [{ text: 'direct answer' }]);
    const completion = await stack.openai().chat.completions.create({ model: 'local/cc-direct', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]?.message.content).toBe('direct answer');
    expect(upstreamBody('cc-direct').model).toBe('cc-direct');
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
  });

  it('sets x-gantry-run-id, x-gantry-span-id and x-gantry-target on the response', async () => {
    stack.mock.script('cc-headers', [{ text: 'ok' }]);
    const { data: completion, response } = await stack
      .openai()
      .chat.completions.create({ model: 'local/cc-headers', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    const runId = response.headers.get('x-gantry-run-id');
    const spanId = response.headers.get('x-gantry-span-id');
    expect(runId).toMatch(/\S/);
    expect(spanId).toMatch(/\S/);
    expect(runId).not.toBe(spanId);
    expect(response.headers.get('x-gantry-target')).toBe('local/cc-headers');
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);

    const second = await stack
      .openai()
      .chat.completions.create({ model: 'local/cc-headers', messages: [{ role: 'user', content: 'again' }] })
      .withResponse();
    // Every call is its own run and span.
    expect(second.response.headers.get('x-gantry-run-id')).not.toBe(runId);
    expect(second.response.headers.get('x-gantry-span-id')).not.toBe(spanId);
  });
});
