import { InvalidRequestError, type ChatRequest } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeAnthropicRequest, encodeAnthropicRequest } from '../src/anthropic/index.ts';
import { decodeOpenAIChatRequest } from '../src/openai/index.ts';
import { loadJsoncFixture } from './load-fixture.ts';

const toolsBody = loadJsoncFixture('anthropic/messages-request-tools.jsonc');
const textAndToolBody = loadJsoncFixture('anthropic/messages-request-text-and-tool_use.jsonc');
const openaiToolsBody = loadJsoncFixture('openai/chat-request-tools.jsonc');
const structuredBody = loadJsoncFixture('openai/chat-request-structured-output-json_schema.jsonc');

const WEATHER_SCHEMA = (toolsBody.tools as { input_schema: Record<string, unknown> }[])[0]!.input_schema;

const reEncode = (request: ChatRequest, stream = request.stream) => encodeAnthropicRequest(request, { model: request.model, stream });

function base(messages: ChatRequest['messages'], extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'claude', messages, stream: false, includeUsage: false, ...extra };
}

const user = (text: string) => ({ role: 'user' as const, content: [{ type: 'text' as const, text }] });

describe('anthropic codec › request › recordings', () => {
  it('decodes the tools recording to the canonical request', () => {
    expect(decodeAnthropicRequest(toolsBody)).toEqual({
      model: 'claude-haiku-4-5',
      messages: [user('What is the weather in SF?')],
      tools: [{ name: 'get_weather', description: 'Lookup the weather for a given city in either celsius or fahrenheit', parameters: WEATHER_SCHEMA }],
      maxOutputTokens: 1024,
      stream: false,
      includeUsage: false,
    } satisfies ChatRequest);
  });

  it.each([
    ['messages-request-tools.jsonc', toolsBody],
    ['messages-request-text-and-tool_use.jsonc', textAndToolBody],
  ])('re-encodes %s to the recorded body', (_name, body) => {
    expect(reEncode(decodeAnthropicRequest(body))).toEqual(body);
  });

  it('re-encodes the streamed request of the live stream recording, stream:true included', () => {
    const body = { ...toolsBody, stream: true };
    const request = decodeAnthropicRequest(body);
    expect(request).toMatchObject({ stream: true, includeUsage: true });
    expect(reEncode(request)).toEqual(body);
  });

  it('round-trips a multi-turn body with system, thinking, tool_use, tool_result, images and options', () => {
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 16000,
      system: [{ type: 'text', text: 'You are terse.' }, { type: 'text', text: 'Use tools.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }, { type: 'image', source: { type: 'url', url: 'https://example.com/map.png' } }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Two cities: two calls.', signature: 'sig-abc' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { location: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '18°C' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: '24°C' }, { type: 'text', text: 'sunny' }] },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          ],
        },
      ],
      tools: [{ name: 'get_weather', description: 'Weather', input_schema: WEATHER_SCHEMA, strict: true }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      temperature: 1,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: 'u-42' },
      thinking: { type: 'enabled', budget_tokens: 10000 },
      service_tier: 'auto',
      stream: true,
    };
    const request = decodeAnthropicRequest(body);
    expect(request.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool', 'tool', 'user']);
    expect(request).toMatchObject({
      toolChoice: 'required',
      parallelToolCalls: false,
      stop: ['END'],
      user: 'u-42',
      reasoningEffort: 'medium',
      providerOptions: { anthropic: { top_k: 40, thinking: { type: 'enabled', budget_tokens: 10000 }, service_tier: 'auto' } },
    });
    expect(reEncode(request)).toEqual(body);
  });
});

describe('anthropic codec › request › from OpenAI-format clients', () => {
  it('encodes the OpenAI tools recording with input_schema, tool_choice auto and the default max_tokens', () => {
    const request = decodeOpenAIChatRequest(openaiToolsBody);
    const tool = (openaiToolsBody.tools as { function: { name: string; description: string; parameters: unknown } }[])[0]!.function;
    expect(encodeAnthropicRequest(request, { model: 'claude-haiku-4-5', stream: false })).toEqual({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'What is the weather like in Boston today?' }],
      tools: [{ name: tool.name, description: tool.description, input_schema: tool.parameters }],
      tool_choice: { type: 'auto' },
      max_tokens: 4096,
    });
  });

  it('encodes json_schema response_format as native structured output and hoists the system message', () => {
    const request = decodeOpenAIChatRequest(structuredBody);
    const format = (structuredBody.response_format as { json_schema: { schema: unknown } }).json_schema;
    const body = encodeAnthropicRequest(request, { model: 'claude-sonnet-4-5', stream: true, defaultMaxTokens: 2048 });
    expect(body.output_config).toEqual({ format: { type: 'json_schema', schema: format.schema } });
    expect(typeof body.system).toBe('string');
    expect((body.messages as { role: string }[]).every((message) => message.role !== 'system')).toBe(true);
    expect(body).toMatchObject({ max_tokens: 2048, stream: true });
  });

  it('merges system and developer text into system blocks, in order', () => {
    const body = reEncode(
      base([
        { role: 'system', content: [{ type: 'text', text: 'A' }] },
        user('hi'),
        { role: 'developer', content: [{ type: 'text', text: 'B' }] },
      ]),
    );
    expect(body.system).toEqual([{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }]);
    expect(body.messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('merges consecutive tool results and a following user message into one user turn, results first', () => {
    const body = reEncode(
      base([
        user('go'),
        { role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'tool-call', id: 'a', name: 'f', arguments: '{}' }, { type: 'tool-call', id: 'b', name: 'f', arguments: '' }] },
        { role: 'tool', toolCallId: 'a', content: [{ type: 'text', text: '1' }] },
        { role: 'tool', toolCallId: 'b', content: [{ type: 'text', text: '2' }] },
        user('and now?'),
        user('quickly'),
      ]),
    );
    expect(body.messages).toEqual([
      { role: 'user', content: 'go' },
      // The empty text OpenAI clients send beside tool calls is not a block Anthropic accepts.
      { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'f', input: {} }, { type: 'tool_use', id: 'b', name: 'f', input: {} }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'a', content: '1' },
          { type: 'tool_result', tool_use_id: 'b', content: '2' },
          { type: 'text', text: 'and now?' },
          { type: 'text', text: 'quickly' },
        ],
      },
    ]);
  });

  it('keeps arguments that are not a JSON object under _raw_arguments instead of dropping them', () => {
    const body = reEncode(
      base([user('x'), { role: 'assistant', content: [{ type: 'tool-call', id: 'a', name: 'f', arguments: '{"city": "Par' }, { type: 'tool-call', id: 'b', name: 'g', arguments: '[1,2]' }] }]),
    );
    expect((body.messages as { content: unknown }[])[1]?.content).toEqual([
      { type: 'tool_use', id: 'a', name: 'f', input: { _raw_arguments: '{"city": "Par' } },
      { type: 'tool_use', id: 'b', name: 'g', input: { _raw_arguments: '[1,2]' } },
    ]);
  });

  it('puts signed reasoning first in the assistant turn and leaves unsigned reasoning out', () => {
    const body = reEncode(
      base([
        user('x'),
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Answer' },
            { type: 'reasoning', text: 'deepseek musings' },
            { type: 'reasoning', text: 'signed', signature: 'sig' },
          ],
        },
      ]),
    );
    expect((body.messages as { content: unknown }[])[1]?.content).toEqual([
      { type: 'thinking', thinking: 'signed', signature: 'sig' },
      { type: 'text', text: 'Answer' },
    ]);
  });

  it('maps image URLs: http(s) to a url source, data: URLs to base64 with the media type', () => {
    const body = reEncode(
      base([
        {
          role: 'user',
          content: [
            { type: 'image', url: 'https://example.com/cat.jpg', detail: 'high' },
            { type: 'image', url: 'data:image/webp;base64,UklGRg==' },
            { type: 'file', data: 'data:application/pdf;base64,JVBERi0=', filename: 'spec.pdf' },
          ],
        },
      ]),
    );
    expect((body.messages as { content: unknown }[])[0]?.content).toEqual([
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      { type: 'image', source: { type: 'base64', media_type: 'image/webp', data: 'UklGRg==' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'spec.pdf' },
    ]);
  });

  it.each([
    ['auto', undefined, { type: 'auto' }],
    ['none', undefined, { type: 'none' }],
    ['required', undefined, { type: 'any' }],
    [{ name: 'get_weather' }, undefined, { type: 'tool', name: 'get_weather' }],
    [undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
    ['required', false, { type: 'any', disable_parallel_tool_use: true }],
  ] as const)('maps tool_choice %j with parallel %j', (toolChoice, parallelToolCalls, expected) => {
    const request = base([user('x')], { tools: [{ name: 'get_weather' }] });
    if (toolChoice !== undefined) request.toolChoice = toolChoice;
    if (parallelToolCalls !== undefined) request.parallelToolCalls = parallelToolCalls;
    const body = reEncode(request);
    expect(body.tool_choice).toEqual(expected);
    expect(body.tools).toEqual([{ name: 'get_weather', input_schema: { type: 'object', properties: {} } }]);
  });

  it.each([
    ['low', undefined, 1024, 4096],
    ['medium', undefined, 4096, 4096 + 4096],
    ['high', 20000, 16384, 20000],
    ['high', 1000, 16384, 17384],
  ] as const)('maps reasoning effort %s (max %s) to budget %i and max_tokens %i', (effort, maxOutputTokens, budget, maxTokens) => {
    const request = base([user('x')], { reasoningEffort: effort });
    if (maxOutputTokens !== undefined) request.maxOutputTokens = maxOutputTokens;
    expect(reEncode(request)).toMatchObject({ thinking: { type: 'enabled', budget_tokens: budget }, max_tokens: maxTokens });
  });

  it('sends no thinking for minimal effort, and prefers the client thinking object from providerOptions', () => {
    expect(reEncode(base([user('x')], { reasoningEffort: 'minimal' }))).not.toHaveProperty('thinking');
    const adaptive = reEncode(base([user('x')], { reasoningEffort: 'high', providerOptions: { anthropic: { thinking: { type: 'adaptive' } } } }));
    expect(adaptive).toMatchObject({ thinking: { type: 'adaptive' }, max_tokens: 4096 });
  });

  it('maps stop, user and sampling; leaves out seed and penalties; merges providerOptions.anthropic last', () => {
    const body = reEncode(
      base([user('x')], {
        stop: ['\n\n'],
        user: 'end-user-7',
        temperature: 0.2,
        topP: 0.5,
        seed: 42,
        frequencyPenalty: 1,
        n: 1,
        providerOptions: { anthropic: { top_k: 5, temperature: 0.3 }, openai: { logprobs: true } },
      }),
    );
    expect(body).toEqual({
      model: 'claude',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 4096,
      temperature: 0.3,
      top_p: 0.5,
      top_k: 5,
      stop_sequences: ['\n\n'],
      metadata: { user_id: 'end-user-7' },
    });
  });
});

describe('anthropic codec › request › what Anthropic cannot take', () => {
  function rejection(request: ChatRequest): InvalidRequestError {
    try {
      encodeAnthropicRequest(request, { model: 'claude', stream: false, provider: 'claude-eu' });
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidRequestError);
      return error as InvalidRequestError;
    }
    throw new Error('expected a rejection');
  }

  it('rejects n > 1 with a 400 naming the provider and n', () => {
    const error = rejection(base([user('x')], { n: 3 }));
    expect(error).toMatchObject({ status: 400, param: 'n' });
    expect(error.message).toBe('provider claude-eu generates one choice per request; got n=3. Send n=1 or omit it.');
  });

  it('rejects an audio part naming messages[i].content[j] and the provider', () => {
    const error = rejection(base([user('a'), { role: 'user', content: [{ type: 'text', text: 'listen' }, { type: 'audio', data: 'UklGR', format: 'wav' }] }]));
    expect(error.param).toBe('messages[1].content[1]');
    expect(error.message).toMatch(/^messages\[1\]\.content\[1\]: provider claude-eu cannot take this audio part: /);
  });

  it('rejects a file given by id, and an image URL that is neither http(s) nor base64 data', () => {
    expect(rejection(base([{ role: 'user', content: [{ type: 'file', fileId: 'file-abc' }] }])).param).toBe('messages[0].content[0]');
    expect(rejection(base([{ role: 'user', content: [{ type: 'image', url: 'ftp://x/y.png' }] }])).message).toContain('http(s) or a base64 data: URL');
  });

  it('rejects a reasoning effort it cannot map', () => {
    expect(rejection(base([user('x')], { reasoningEffort: 'turbo' })).param).toBe('reasoning_effort');
  });
});
