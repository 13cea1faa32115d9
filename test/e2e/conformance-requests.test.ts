import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_IDS, startConformanceStack, type ConformanceStack, type ProviderId } from '../conformance/conformance-stack.ts';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';

/**
 * What reaches each upstream when an OpenAI SDK client uses structured output, images and tools:
 * the same request, in every provider's own wire format. Backs cells of docs/providers.md.
 */

const PERSON_SCHEMA = {
  type: 'object',
  properties: { name: { type: 'string' }, born: { type: 'integer' } },
  required: ['name', 'born'],
  additionalProperties: false,
};
const RESPONSE_FORMAT = { type: 'json_schema' as const, json_schema: { name: 'person', strict: true, schema: PERSON_SCHEMA } };

/** Where each wire puts a JSON-schema response format. */
const STRUCTURED_OUTPUT: Record<ProviderId, Record<string, unknown>> = {
  openai: { response_format: RESPONSE_FORMAT },
  'azure-openai': { response_format: RESPONSE_FORMAT },
  anthropic: { output_config: { format: { type: 'json_schema', schema: PERSON_SCHEMA } } },
  gemini: { generationConfig: { responseMimeType: 'application/json', responseJsonSchema: PERSON_SCHEMA } },
};

const PNG_DATA = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const PNG_URL = `data:image/png;base64,${PNG_DATA}`;
const JPEG_URL = 'https://example.com/photos/cat.jpg';

/** Where each wire puts a base64 image and an image by URL. */
const IMAGES: Record<ProviderId, unknown[]> = {
  openai: [
    { type: 'image_url', image_url: { url: PNG_URL } },
    { type: 'image_url', image_url: { url: JPEG_URL, detail: 'low' } },
  ],
  'azure-openai': [
    { type: 'image_url', image_url: { url: PNG_URL } },
    { type: 'image_url', image_url: { url: JPEG_URL, detail: 'low' } },
  ],
  anthropic: [
    { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_DATA } },
    { type: 'image', source: { type: 'url', url: JPEG_URL } },
  ],
  gemini: [{ inlineData: { mimeType: 'image/png', data: PNG_DATA } }, { fileData: { fileUri: JPEG_URL, mimeType: 'image/jpeg' } }],
};

/** The first user turn's content parts, in each wire's shape. */
function userParts(provider: ProviderId, body: Record<string, unknown>): unknown[] {
  if (provider === 'gemini') return (body.contents as { parts: unknown[] }[])[0]?.parts ?? [];
  return (body.messages as { content: unknown[] }[])[0]?.content ?? [];
}

const WEATHER_PARAMETERS = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

/** Where each wire puts a tool declaration and a named tool choice. */
const TOOLS: Record<ProviderId, Record<string, unknown>> = {
  openai: {
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER_PARAMETERS } }],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
  },
  'azure-openai': {
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER_PARAMETERS } }],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
  },
  anthropic: { tools: [{ name: 'get_weather', input_schema: WEATHER_PARAMETERS }], tool_choice: { type: 'tool', name: 'get_weather' } },
  gemini: {
    tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: WEATHER_PARAMETERS }] }],
    toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
  },
};

describe('conformance: requests in each provider’s format', () => {
  let stack: ConformanceStack;
  beforeAll(async () => {
    stack = await startConformanceStack('requests');
  });
  afterAll(async () => {
    await stack?.close();
  });

  describe.each(PROVIDER_IDS)('%s', (provider) => {
    it('sends a json_schema response_format as the provider’s structured output and returns the JSON', async () => {
      const json = '{"name":"Ada","born":1815}';
      const model = stack.scripted(provider, [{ text: json }]);
      const completion = await stack.openai().chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Who wrote the first program?' }],
        response_format: RESPONSE_FORMAT,
      });
      expect(stack.upstreamBody(model)).toMatchObject(STRUCTURED_OUTPUT[provider]);
      expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual({ name: 'Ada', born: 1815 });
      expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
    });

    it('sends a base64 image and an image URL in the provider’s image format', async () => {
      const model = stack.scripted(provider, [{ text: 'A cat, and a single pixel.' }]);
      const completion = await stack.openai().chat.completions.create({
        model,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these pictures?' },
              { type: 'image_url', image_url: { url: PNG_URL } },
              { type: 'image_url', image_url: { url: JPEG_URL, detail: 'low' } },
            ],
          },
        ],
      });
      expect(completion.choices[0]?.message.content).toBe('A cat, and a single pixel.');
      const parts = userParts(provider, stack.upstreamBody(model));
      expect(parts).toHaveLength(3);
      expect(parts.slice(1)).toEqual(IMAGES[provider]);
    });

    it('declares tools and a named tool choice in the provider’s format and returns the call', async () => {
      const model = stack.scripted(provider, [{ toolCalls: [{ id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] }]);
      const completion = await stack.openai().chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Weather in Oslo?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER_PARAMETERS } }],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      });
      expect(stack.upstreamBody(model)).toMatchObject(TOOLS[provider]);
      const choice = completion.choices[0];
      expect(choice?.finish_reason).toBe('tool_calls');
      const calls = choice?.message.tool_calls ?? [];
      expect(calls.map((call) => (call.type === 'function' ? [call.function.name, JSON.parse(call.function.arguments)] : call))).toEqual([
        ['get_weather', { city: 'Oslo' }],
      ]);
      expect(calls[0]?.id).toMatch(/\S/);
      expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
    });
  });
});
