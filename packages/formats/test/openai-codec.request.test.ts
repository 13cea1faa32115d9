import type { ChatRequest } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeOpenAIChatRequest, encodeOpenAIChatRequest } from '../src/index.ts';
import { loadJsoncFixture } from './load-fixture.ts';

const toolsBody = loadJsoncFixture('openai/chat-request-tools.jsonc');
const structuredBody = loadJsoncFixture('openai/chat-request-structured-output-json_schema.jsonc');

/** Encodes for an upstream that knows the model by the same name the client used. */
function reEncode(request: ChatRequest, stream = request.stream): Record<string, unknown> {
  return encodeOpenAIChatRequest(request, { model: request.model, stream });
}

describe('openai codec › request › tools recording', () => {
  const request = decodeOpenAIChatRequest(toolsBody);

  it('decodes to the canonical request', () => {
    expect(request).toEqual({
      model: 'gpt-5.4',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is the weather like in Boston today?' }] }],
      tools: [
        {
          name: 'get_current_weather',
          description: 'Get the current weather in a given location',
          parameters: {
            type: 'object',
            properties: {
              location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
              unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
            },
            required: ['location'],
          },
        },
      ],
      toolChoice: 'auto',
      stream: false,
      includeUsage: false,
    } satisfies ChatRequest);
  });

  it('re-encodes to the original body', () => {
    expect(reEncode(request)).toEqual(toolsBody);
  });

  it('adds stream and stream_options.include_usage when streaming upstream, and nothing else', () => {
    expect(reEncode(request, true)).toEqual({ ...toolsBody, stream: true, stream_options: { include_usage: true } });
  });

  it('encodes a named tool_choice back to the function object', () => {
    const named = decodeOpenAIChatRequest({ ...toolsBody, tool_choice: { type: 'function', function: { name: 'get_current_weather' } } });
    expect(named.toolChoice).toEqual({ name: 'get_current_weather' });
    expect(reEncode(named).tool_choice).toEqual({ type: 'function', function: { name: 'get_current_weather' } });
  });
});

describe('openai codec › request › structured output recording', () => {
  const request = decodeOpenAIChatRequest(structuredBody);
  const jsonSchema = (structuredBody.response_format as { json_schema: { schema: Record<string, unknown> } }).json_schema.schema;

  it('decodes system text, user text and the json_schema response format', () => {
    expect(request).toEqual({
      model: 'gpt-4o-2024-08-06',
      messages: [
        {
          role: 'system',
          content: [
            {
              type: 'text',
              text: '\nYou are a helpful math tutor. You will be provided with a math problem,\nand your goal will be to output a step by step solution, along with a final answer.\nFor each step, just provide the output as an equation use the explanation field to detail the reasoning.\n',
            },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'how can I solve 8x + 7 = -23' }] },
      ],
      responseFormat: { type: 'json_schema', name: 'math_reasoning', schema: jsonSchema, strict: true },
      stream: false,
      includeUsage: false,
    } satisfies ChatRequest);
    expect(jsonSchema.required).toEqual(['steps', 'final_answer']);
  });

  it('re-encodes to the original body', () => {
    expect(reEncode(request)).toEqual(structuredBody);
  });
});

describe('openai codec › request › parameters', () => {
  const base = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say this is a test' }] };

  it('keeps unknown top-level parameters in providerOptions.openai and re-emits them verbatim', () => {
    const unknown = { logprobs: true, top_logprobs: 2, logit_bias: { '50256': -100, '1734': 5 }, service_tier: 'flex', metadata: { run: 'r_42' } };
    const request = decodeOpenAIChatRequest({ ...base, ...unknown });
    expect(request.providerOptions).toEqual({ openai: unknown });
    expect(reEncode(request)).toEqual({ ...base, ...unknown });
  });

  it('maps every canonical sampling parameter both ways', () => {
    const body = {
      ...base,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['\n\n', 'END'],
      seed: 42,
      frequency_penalty: 0.5,
      presence_penalty: -0.5,
      n: 2,
      reasoning_effort: 'low',
      user: 'user-1234',
      parallel_tool_calls: false,
      max_completion_tokens: 256,
    };
    const request = decodeOpenAIChatRequest(body);
    expect(request).toMatchObject({
      temperature: 0.2,
      topP: 0.9,
      stop: ['\n\n', 'END'],
      seed: 42,
      frequencyPenalty: 0.5,
      presencePenalty: -0.5,
      n: 2,
      reasoningEffort: 'low',
      user: 'user-1234',
      parallelToolCalls: false,
      maxOutputTokens: 256,
    });
    expect(request.providerOptions).toBeUndefined();
    expect(reEncode(request)).toEqual(body);
  });

  it('decodes a single stop string to a one-element list (re-encoded as the list)', () => {
    const request = decodeOpenAIChatRequest({ ...base, stop: 'END' });
    expect(request.stop).toEqual(['END']);
    expect(reEncode(request).stop).toEqual(['END']);
  });

  // Older models reject max_completion_tokens and newer ones reject max_tokens.
  it('keeps the client’s max_tokens as max_tokens', () => {
    const request = decodeOpenAIChatRequest({ ...base, max_tokens: 100 });
    expect(request.maxOutputTokens).toBe(100);
    expect(reEncode(request)).toEqual({ ...base, max_tokens: 100 });
  });

  it('sends max_completion_tokens when the client gave it, and only it when both were given', () => {
    expect(reEncode(decodeOpenAIChatRequest({ ...base, max_completion_tokens: 100 }))).toEqual({ ...base, max_completion_tokens: 100 });
    const both = decodeOpenAIChatRequest({ ...base, max_tokens: 50, max_completion_tokens: 100 });
    expect(both.maxOutputTokens).toBe(100);
    expect(reEncode(both)).toEqual({ ...base, max_completion_tokens: 100 });
  });

  it('reads include_usage only for streaming requests and always asks upstream for usage', () => {
    expect(decodeOpenAIChatRequest({ ...base, stream: true, stream_options: { include_usage: true } })).toMatchObject({ stream: true, includeUsage: true });
    expect(decodeOpenAIChatRequest({ ...base, stream: true })).toMatchObject({ stream: true, includeUsage: false });
    expect(decodeOpenAIChatRequest({ ...base, stream: false, stream_options: { include_usage: true } })).toMatchObject({ stream: false, includeUsage: false });
    const request = decodeOpenAIChatRequest({ ...base, stream: true, stream_options: { include_usage: false } });
    expect(reEncode(request)).toEqual({ ...base, stream: true, stream_options: { include_usage: true } });
  });

  it('passes the other stream_options (include_obfuscation) through to a streaming upstream only', () => {
    const request = decodeOpenAIChatRequest({ ...base, stream: true, stream_options: { include_usage: true, include_obfuscation: false } });
    expect(reEncode(request, true)).toEqual({ ...base, stream: true, stream_options: { include_usage: true, include_obfuscation: false } });
    // OpenAI rejects stream_options on a non-streaming call.
    expect(reEncode(request, false)).toEqual(base);
  });

  it('round-trips multimodal user content, assistant tool calls and tool results', () => {
    const body = {
      model: 'gpt-4o',
      messages: [
        { role: 'developer', content: 'Be brief.', name: 'policy' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this image?' },
            { type: 'image_url', image_url: { url: 'https://upload.wikimedia.org/wikipedia/commons/boardwalk.jpg', detail: 'low' } },
            { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
            { type: 'file', file: { file_id: 'file-abc123' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_current_weather', arguments: '{\n"location": "Boston, MA"\n}' } }],
        },
        { role: 'tool', tool_call_id: 'call_abc123', content: '{"temperature": 22}' },
        { role: 'assistant', content: 'It is 22 °C.', refusal: 'I cannot share more.' },
      ],
    };
    const request = decodeOpenAIChatRequest(body);
    expect(request.messages[1]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this image?' },
        { type: 'image', url: 'https://upload.wikimedia.org/wikipedia/commons/boardwalk.jpg', detail: 'low' },
        { type: 'audio', data: 'UklGRg==', format: 'wav' },
        { type: 'file', fileId: 'file-abc123' },
      ],
    });
    expect(request.messages[2]).toEqual({
      role: 'assistant',
      content: [{ type: 'tool-call', id: 'call_abc123', name: 'get_current_weather', arguments: '{\n"location": "Boston, MA"\n}' }],
    });
    expect(request.messages[3]).toEqual({ role: 'tool', toolCallId: 'call_abc123', content: [{ type: 'text', text: '{"temperature": 22}' }] });
    expect(reEncode(request)).toEqual(body);
  });
});
