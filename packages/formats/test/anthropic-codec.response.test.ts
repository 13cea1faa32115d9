import { ProviderUnreachableError, type ChatRequest, type ChatResult } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeAnthropicResponse, encodeAnthropicRequest, encodeAnthropicResponse, mapAnthropicStopReason, toAnthropicStopReason } from '../src/anthropic/index.ts';
import { loadJsoncFixture } from './load-fixture.ts';

const toolUseBody = loadJsoncFixture('anthropic/messages-response-tool_use.jsonc');
const textAndToolBody = loadJsoncFixture('anthropic/messages-response-text-and-tool_use.jsonc');

describe('anthropic codec › response decode › recordings', () => {
  it('decodes a tool_use response to a tool-call part with the input as JSON text', () => {
    expect(decodeAnthropicResponse(toolUseBody, 'anthropic')).toEqual({
      id: 'msg_01RMQBcKf2dxTq6qfi31BBTz',
      model: 'claude-haiku-4-5-20251001',
      created: expect.any(Number),
      choices: [
        {
          index: 0,
          content: [{ type: 'tool-call', id: 'toolu_01A9HHF5Ezy3oBrKmSgfASm9', name: 'get_weather', arguments: '{"location":"San Francisco, CA","units":"f"}' }],
          finishReason: 'tool-calls',
          rawFinishReason: 'tool_use',
        },
      ],
      usage: { inputTokens: 656, outputTokens: 74, cachedInputTokens: 0, cacheWriteInputTokens: 0 },
    } satisfies ChatResult);
  });

  it('keeps text and tool_use in block order', () => {
    const result = decodeAnthropicResponse(textAndToolBody, 'anthropic');
    expect(result.choices[0]?.content).toEqual([
      { type: 'text', text: "I'll get the weather for each of those cities. Let me start by checking San Francisco." },
      { type: 'tool-call', id: 'toolu_01LRanfq6DmHn1yDTB4d1SAh', name: 'get_weather', arguments: '{"location":"San Francisco, CA","units":"f"}' },
    ]);
    expect(result.usage).toEqual({ inputTokens: 701, outputTokens: 93, cachedInputTokens: 0, cacheWriteInputTokens: 0 });
  });

  it('adds cache reads and writes to inputTokens', () => {
    const usage = { input_tokens: 12, cache_read_input_tokens: 3000, cache_creation_input_tokens: 200, output_tokens: 40 };
    expect(decodeAnthropicResponse({ ...toolUseBody, usage }, 'anthropic').usage).toEqual({
      inputTokens: 3212,
      outputTokens: 40,
      cachedInputTokens: 3000,
      cacheWriteInputTokens: 200,
    });
  });

  it('throws ProviderUnreachableError naming the provider for a body that is not a message', () => {
    expect(() => decodeAnthropicResponse({ type: 'message', content: 'nope' }, 'claude')).toThrow(ProviderUnreachableError);
    expect(() => decodeAnthropicResponse({ type: 'message', content: 'nope' }, 'claude')).toThrow(/provider claude returned a malformed Messages response: content/);
  });
});

describe('anthropic codec › stop reasons', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool-calls'],
    ['refusal', 'content-filter'],
    ['pause_turn', 'other'],
  ] as const)('maps %s to %s and back', (raw, canonical) => {
    expect(mapAnthropicStopReason(raw)).toBe(canonical);
    expect(toAnthropicStopReason(canonical, raw)).toBe(raw);
  });

  it('maps OpenAI words to Anthropic ones', () => {
    expect(toAnthropicStopReason('stop', 'stop')).toBe('end_turn');
    expect(toAnthropicStopReason('tool-calls', 'tool_calls')).toBe('tool_use');
    expect(toAnthropicStopReason('content-filter', 'content_filter')).toBe('refusal');
    expect(toAnthropicStopReason('other', 'weird')).toBe('end_turn');
  });
});

describe('anthropic codec › thinking across a turn', () => {
  const SIGNATURE = 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxDPnA5pTZ9nmWPV1oiMNiuL6WHAbd4s4RWa8s';
  const response = {
    id: 'msg_01Thinking',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5',
    content: [
      { type: 'thinking', thinking: 'The user wants the weather; call the tool.', signature: SIGNATURE },
      { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix' },
      { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { location: 'Paris' } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 50, output_tokens: 80 },
  };
  const result = decodeAnthropicResponse(response, 'anthropic');

  it('decodes thinking with its signature and redacted thinking with its data', () => {
    expect(result.choices[0]?.content).toEqual([
      { type: 'reasoning', text: 'The user wants the weather; call the tool.', signature: SIGNATURE },
      { type: 'reasoning', text: '', redactedData: 'EmwKAhgBEgy3va3pzix' },
      { type: 'tool-call', id: 'toolu_01A', name: 'get_weather', arguments: '{"location":"Paris"}' },
    ]);
  });

  it('sends the same thinking blocks, signature unchanged, first in the next assistant turn', () => {
    const nextTurn: ChatRequest = {
      model: 'claude',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        { role: 'assistant', content: result.choices[0]!.content },
        { role: 'tool', toolCallId: 'toolu_01A', content: [{ type: 'text', text: '18°C' }] },
      ],
      stream: false,
      includeUsage: false,
    };
    const body = encodeAnthropicRequest(nextTurn, { model: 'claude-sonnet-4-5', stream: false });
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: response.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: '18°C' }] },
    ]);
  });

  it('re-encodes the result for an Anthropic client as the original message', () => {
    expect(encodeAnthropicResponse(result, { model: 'claude-sonnet-4-5' })).toEqual({
      ...response,
      usage: { input_tokens: 50, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 80 },
    });
  });
});

describe('anthropic codec › response encode', () => {
  it('re-encodes the recorded response, with the alias the client used as model', () => {
    const encoded = encodeAnthropicResponse(decodeAnthropicResponse(textAndToolBody, 'anthropic'), { model: 'claude-fast' });
    const { caller: _caller, ...toolUse } = (textAndToolBody.content as Record<string, unknown>[])[1]!;
    expect(encoded).toEqual({
      id: 'msg_01UBZt9MX63Tk3v1gKvgxk3A',
      type: 'message',
      role: 'assistant',
      model: 'claude-fast',
      content: [(textAndToolBody.content as unknown[])[0], toolUse],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 701, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 93 },
    });
  });

  it('encodes an OpenAI result: refusal as text, cached tokens split out, invalid arguments kept', () => {
    const result: ChatResult = {
      id: 'chatcmpl-1',
      model: 'gpt-4o',
      created: 1,
      choices: [
        {
          index: 0,
          content: [
            { type: 'refusal', text: 'I cannot help with that.' },
            { type: 'tool-call', id: 'call_1', name: 'lookup', arguments: '{"q": "unterminated' },
          ],
          finishReason: 'content-filter',
          rawFinishReason: 'content_filter',
        },
      ],
      usage: { inputTokens: 120, outputTokens: 9, cachedInputTokens: 100 },
    };
    expect(encodeAnthropicResponse(result)).toMatchObject({
      model: 'gpt-4o',
      content: [
        { type: 'text', text: 'I cannot help with that.' },
        { type: 'tool_use', id: 'call_1', name: 'lookup', input: { _raw_arguments: '{"q": "unterminated' } },
      ],
      stop_reason: 'refusal',
      usage: { input_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 100, output_tokens: 9 },
    });
  });
});
