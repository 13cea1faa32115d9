import { InvalidRequestError } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeAnthropicRequest, encodeAnthropicRequest } from '../src/anthropic/index.ts';

const valid = { model: 'claude-haiku-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }] };

function rejectionOf(body: unknown): InvalidRequestError {
  try {
    decodeAnthropicRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be rejected`);
}

describe('anthropic codec › request errors', () => {
  it('accepts the minimal valid body', () => {
    expect(decodeAnthropicRequest(valid).maxOutputTokens).toBe(256);
  });

  it('rejects a body that is not an object', () => {
    expect(rejectionOf([valid]).message).toBe('request body must be a JSON object with "model", "max_tokens" and "messages"');
  });

  it('rejects a body without max_tokens, naming it as required', () => {
    const { max_tokens: _omitted, ...body } = valid;
    const error = rejectionOf(body);
    expect(error).toMatchObject({ status: 400, param: 'max_tokens' });
    expect(error.message).toBe('invalid messages request: max_tokens: expected number, got nothing (the field is required)');
  });

  it('rejects a system role inside messages, pointing at the top-level system field', () => {
    const error = rejectionOf({ ...valid, messages: [{ role: 'system', content: 'be nice' }] });
    expect(error.param).toBe('messages[0].role');
    expect(error.message).toContain('accepted: user, assistant (system text goes in the top-level "system" field)');
  });

  it('rejects an unknown user block type at its path, listing the accepted types', () => {
    const error = rejectionOf({ ...valid, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'video', source: {} }] }] });
    expect(error.param).toBe('messages[0].content[1].type');
    expect(error.message).toBe('invalid messages request: messages[0].content[1].type: unknown content block type "video"; accepted: text, image, document, tool_result');
  });

  it('rejects a tool_use block in a user turn (it belongs to the assistant)', () => {
    const error = rejectionOf({ ...valid, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] }] });
    expect(error.param).toBe('messages[0].content[0].type');
    expect(error.message).toContain('unknown content block type "tool_use"');
  });

  it('rejects an image inside a tool_result, since tool results are carried as text', () => {
    const error = rejectionOf({
      ...valid,
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] }] }],
    });
    expect(error.param).toBe('messages[0].content[0].content[0].type');
    expect(error.message).toContain('unknown content block type "image"; accepted: text');
  });

  it('rejects a thinking block without its signature', () => {
    const error = rejectionOf({ ...valid, messages: [valid.messages[0], { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm' }] }] });
    expect(error.param).toBe('messages[1].content[0].signature');
  });

  it('rejects a server tool by type, saying to declare a client tool', () => {
    const error = rejectionOf({ ...valid, tools: [{ type: 'web_search_20250305', name: 'web_search' }] });
    expect(error.param).toBe('tools[0].type');
    expect(error.message).toContain('server tool "web_search_20250305" is not supported');
  });

  it('rejects a client tool without input_schema', () => {
    expect(rejectionOf({ ...valid, tools: [{ name: 'f' }] }).param).toBe('tools[0].input_schema');
  });

  it('rejects a temperature above Anthropic’s range of 0 to 1', () => {
    const error = rejectionOf({ ...valid, temperature: 1.5 });
    expect(error.param).toBe('temperature');
  });

  it('rejects an unknown tool_choice type', () => {
    expect(rejectionOf({ ...valid, tool_choice: { type: 'required' } }).param).toBe('tool_choice.type');
  });
});

describe('anthropic codec › request decode › mappings', () => {
  it('maps adaptive thinking with an output_config effort to that effort, and keeps both verbatim', () => {
    const request = decodeAnthropicRequest({ ...valid, thinking: { type: 'adaptive' }, output_config: { effort: 'low' } });
    expect(request.reasoningEffort).toBe('low');
    expect(request.providerOptions).toEqual({ anthropic: { thinking: { type: 'adaptive' }, output_config: { effort: 'low' } } });
  });

  it('maps no effort for adaptive thinking without one, and none for disabled thinking', () => {
    expect(decodeAnthropicRequest({ ...valid, thinking: { type: 'adaptive' } }).reasoningEffort).toBeUndefined();
    expect(decodeAnthropicRequest({ ...valid, thinking: { type: 'disabled' } }).reasoningEffort).toBeUndefined();
  });

  it.each([
    [1024, 'low'],
    [4095, 'low'],
    [4096, 'medium'],
    [16384, 'high'],
    [64000, 'high'],
  ])('maps a thinking budget of %i to effort %s', (budget, effort) => {
    expect(decodeAnthropicRequest({ ...valid, max_tokens: 70000, thinking: { type: 'enabled', budget_tokens: budget } }).reasoningEffort).toBe(effort);
  });

  it('maps output_config.format to a json_schema response format', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
    expect(decodeAnthropicRequest({ ...valid, output_config: { format: { type: 'json_schema', schema } } }).responseFormat).toEqual({
      type: 'json_schema',
      name: 'output',
      schema,
    });
  });

  it('decodes a tool_result without content to a tool message with no parts, and back', () => {
    const messages = [
      { role: 'user', content: 'go' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't' }] },
    ];
    const request = decodeAnthropicRequest({ ...valid, messages });
    expect(request.messages[2]).toEqual({ role: 'tool', toolCallId: 't', content: [] });
    expect(encodeAnthropicRequest(request, { model: valid.model, stream: false }).messages).toEqual(messages);
  });
});
