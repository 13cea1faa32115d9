import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';
import { startStack, type Stack } from '../support/start-stack.ts';

const providers = (mockUrl: string) => ({
  providers: {
    local: { type: 'openai-compatible', base_url: `${mockUrl}/v1` },
    claude: { type: 'anthropic', base_url: `${mockUrl}/v1`, api_key: 'sk-ant-test' },
    gem: { type: 'gemini', base_url: `${mockUrl}/v1beta`, api_key: 'gemini-test' },
    azure: { type: 'azure-openai', base_url: mockUrl, api_key: 'azure-test' },
  },
});

const TOOLS = [
  { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } },
];

describe('the OpenAI endpoint in front of Anthropic, Gemini and Azure OpenAI', () => {
  let stack: Stack;
  let sequence = 0;
  const scripted = (provider: string, steps: Parameters<Stack['mock']['script']>[1]) => {
    const name = `cross-${++sequence}`;
    stack.mock.script(name, steps);
    return `${provider}/${name}`;
  };

  beforeAll(async () => {
    stack = await startStack({
      config: (mockUrl) => ({
        ...providers(mockUrl),
        models: { resilient: { targets: ['claude/overloaded-model', 'gem/exhausted-model', 'local/healthy-model'] } },
      }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  describe.each(['claude', 'gem', 'azure'])('upstream %s', (provider) => {
    it('answers text in a body that validates against OpenAI’s schema', async () => {
      const model = scripted(provider, [{ text: 'Hello across the wire.', usage: { input: 40, output: 6 } }]);
      const completion = await stack.openai().chat.completions.create({ model, messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'hi' }] });
      expect(completion.choices[0]?.message.content).toBe('Hello across the wire.');
      expect(completion.choices[0]?.finish_reason).toBe('stop');
      expect(completion.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 6 });
      expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
    });

    it('streams parallel tool calls that the SDK reassembles with one index, id and name each', async () => {
      const calls = [
        { id: 'call_one', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { id: 'call_two', name: 'get_time', arguments: '{"zone":"Europe/Oslo"}' },
        { id: 'call_three', name: 'get_weather', arguments: '{"city":"Bergen"}' },
      ];
      const model = scripted(provider, [{ toolCalls: calls, chunkSize: 3 }]);
      const stream = stack.openai().chat.completions.stream({ model, tools: TOOLS, messages: [{ role: 'user', content: 'Weather and time in Oslo, weather in Bergen' }], stream_options: { include_usage: true } });
      const chunks: unknown[] = [];
      stream.on('chunk', (chunk) => chunks.push(chunk));
      const final = await stream.finalChatCompletion();
      const toolCalls = final.choices[0]?.message.tool_calls ?? [];
      expect(toolCalls.map((call) => (call.type === 'function' ? [call.function.name, JSON.parse(call.function.arguments)] : []))).toEqual([
        ['get_weather', { city: 'Oslo' }],
        ['get_time', { zone: 'Europe/Oslo' }],
        ['get_weather', { city: 'Bergen' }],
      ]);
      expect(new Set(toolCalls.map((call) => call.id)).size).toBe(3);
      expect(final.choices[0]?.finish_reason).toBe('tool_calls');
      for (const chunk of chunks) expect(openaiSchemaErrors('CreateChatCompletionStreamResponse', chunk)).toEqual([]);
    });

    it('sends the next turn, with the assistant tool calls and their results, back upstream', async () => {
      const model = scripted(provider, [{ text: 'Oslo is 3°C.' }]);
      const completion = await stack.openai().chat.completions.create({
        model,
        tools: TOOLS,
        messages: [
          { role: 'user', content: 'Weather in Oslo?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_prev', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
          { role: 'tool', tool_call_id: 'call_prev', content: '3°C and clear' },
        ],
      });
      expect(completion.choices[0]?.message.content).toBe('Oslo is 3°C.');
      const upstream = JSON.stringify(stack.mock.requests.filter((request) => request.model === model.slice(model.indexOf('/') + 1)).at(-1)?.body);
      expect(upstream).toContain('3°C and clear');
      expect(upstream).toContain('Oslo');
    });
  });

  it('refuses a parameter the target cannot honour, naming provider and parameter', async () => {
    const model = scripted('claude', [{}]);
    const error = await stack.openai().chat.completions.create({ model, n: 2, messages: [{ role: 'user', content: 'two answers' }] }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 400 });
    expect((error as Error).message).toContain('claude');
    expect((error as Error).message).toContain('n');
  });

  it('treats Anthropic 529 overloaded and Gemini RESOURCE_EXHAUSTED as retryable: an alias moves on', async () => {
    stack.mock.script('overloaded-model', [{ status: 529 }]);
    stack.mock.script('exhausted-model', [{ status: 429 }]);
    stack.mock.script('healthy-model', [{ text: 'served by the third target' }]);
    const { data, response } = await stack.openai().chat.completions.create({ model: 'resilient', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0]?.message.content).toBe('served by the third target');
    expect(response.headers.get('x-gantry-target')).toBe('local/healthy-model');
    const tried = stack.mock.requests.filter((request) => ['overloaded-model', 'exhausted-model', 'healthy-model'].includes(request.model ?? ''));
    expect(tried.map((request) => request.format)).toEqual(['anthropic', 'gemini', 'openai']);
  });
});
