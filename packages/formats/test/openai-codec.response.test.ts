import { ProviderUnreachableError, type ChatResult } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeOpenAIChatResponse, encodeOpenAIChatResponse } from '../src/index.ts';
import { loadJsoncFixture } from './load-fixture.ts';
import { openaiSchemaErrors } from './validate-openai-schema.ts';

const RESPONSE_SCHEMA = 'CreateChatCompletionResponse';
const toolCallsBody = loadJsoncFixture('openai/chat-response-tool_calls.jsonc');
const defaultBody = loadJsoncFixture('openai/chat-response-default-usage-details.jsonc');

describe('openai codec › response › tool_calls recording', () => {
  const result = decodeOpenAIChatResponse(toolCallsBody, 'openai');
  const encoded = encodeOpenAIChatResponse(result);

  it('decodes to a ChatResult with the tool call and usage', () => {
    expect(result).toEqual({
      id: 'chatcmpl-abc123',
      model: 'gpt-4o-mini',
      created: 1699896916,
      choices: [
        {
          index: 0,
          content: [{ type: 'tool-call', id: 'call_abc123', name: 'get_current_weather', arguments: '{\n"location": "Boston, MA"\n}' }],
          finishReason: 'tool-calls',
          rawFinishReason: 'tool_calls',
        },
      ],
      usage: { inputTokens: 82, outputTokens: 17, reasoningTokens: 0 },
    } satisfies ChatResult);
  });

  it('the recording itself fails the schema (no message.refusal), as the fixtures README says', () => {
    expect(openaiSchemaErrors(RESPONSE_SCHEMA, toolCallsBody).join('\n')).toContain('refusal');
  });

  it('encodes a body that validates against CreateChatCompletionResponse', () => {
    expect(openaiSchemaErrors(RESPONSE_SCHEMA, encoded)).toEqual([]);
  });

  it('keeps id, created, model, finish_reason, tool calls and usage', () => {
    expect(encoded).toMatchObject({
      id: 'chatcmpl-abc123',
      object: 'chat.completion',
      created: 1699896916,
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_current_weather', arguments: '{\n"location": "Boston, MA"\n}' } }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 82, completion_tokens: 17, total_tokens: 99, completion_tokens_details: { reasoning_tokens: 0 } },
    });
    // Unknown detail counts are written as 0, as OpenAI does today, so they come back as 0.
    expect(decodeOpenAIChatResponse(encoded, 'gantry')).toEqual({ ...result, usage: { ...result.usage, cachedInputTokens: 0 } });
  });
});

describe('openai codec › response › default recording with usage details', () => {
  const result = decodeOpenAIChatResponse(defaultBody, 'openai');
  const encoded = encodeOpenAIChatResponse(result);

  it('decodes text, cached and reasoning token counts and the service tier', () => {
    expect(result).toEqual({
      id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
      model: 'gpt-5.4',
      created: 1741569952,
      choices: [{ index: 0, content: [{ type: 'text', text: 'Hello! How can I assist you today?' }], finishReason: 'stop', rawFinishReason: 'stop' }],
      usage: { inputTokens: 19, outputTokens: 10, cachedInputTokens: 0, reasoningTokens: 0 },
      serviceTier: 'default',
    } satisfies ChatResult);
  });

  it('the recording passes the schema, so the validator accepts real bodies', () => {
    expect(openaiSchemaErrors(RESPONSE_SCHEMA, defaultBody)).toEqual([]);
  });

  it('re-encodes to the recorded body', () => {
    expect(openaiSchemaErrors(RESPONSE_SCHEMA, encoded)).toEqual([]);
    expect(encoded).toEqual(defaultBody);
  });
});

describe('openai codec › response › results from other providers', () => {
  const result: ChatResult = {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    model: 'claude-sonnet-4-5',
    created: 1727346178,
    choices: [
      {
        index: 0,
        content: [
          { type: 'reasoning', text: 'The user wants Paris weather.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h' },
          { type: 'text', text: 'Let me check.' },
          { type: 'tool-call', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', arguments: '{"location":"Paris"}' },
        ],
        finishReason: 'tool-calls',
        rawFinishReason: 'tool_use',
      },
    ],
    usage: { inputTokens: 2095, outputTokens: 503, cachedInputTokens: 2048, cacheWriteInputTokens: 12, reasoningTokens: 120 },
    serviceTier: 'priority',
  };
  const encoded = encodeOpenAIChatResponse(result);

  it('encodes a body that validates, with tool_calls as the finish reason and cache/reasoning details', () => {
    expect(openaiSchemaErrors(RESPONSE_SCHEMA, encoded)).toEqual([]);
    expect(encoded).toMatchObject({
      service_tier: 'priority',
      choices: [
        {
          finish_reason: 'tool_calls',
          message: { content: 'Let me check.', reasoning_content: 'The user wants Paris weather.', reasoning_signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h' },
        },
      ],
      usage: { prompt_tokens: 2095, completion_tokens: 503, prompt_tokens_details: { cached_tokens: 2048 }, completion_tokens_details: { reasoning_tokens: 120 } },
    });
  });

  it('writes system_fingerprint only when the provider reported one', () => {
    expect(encoded).not.toHaveProperty('system_fingerprint');
    expect(encodeOpenAIChatResponse({ ...result, systemFingerprint: 'fp_5050236cbd' })).toMatchObject({ system_fingerprint: 'fp_5050236cbd' });
  });
});

describe('openai codec › response › malformed bodies', () => {
  it('throws ProviderUnreachableError for a body without choices', () => {
    expect(() => decodeOpenAIChatResponse({ id: 'chatcmpl-x', object: 'chat.completion' }, 'acme')).toThrow(ProviderUnreachableError);
    expect(() => decodeOpenAIChatResponse({ id: 'chatcmpl-x', object: 'chat.completion' }, 'acme')).toThrow(/provider acme returned a malformed chat completion/);
  });
});
