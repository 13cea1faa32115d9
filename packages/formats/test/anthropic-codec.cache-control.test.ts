import { describe, expect, it } from 'vitest';
import { decodeAnthropicRequest, encodeAnthropicRequest, encodeOpenAIChatRequest } from '../src/index.ts';

const ephemeral = { type: 'ephemeral' };

/** An Anthropic client's body using prompt caching on every kind of block that takes it. */
const body = {
  model: 'claude-sonnet-4-5',
  max_tokens: 512,
  system: [
    { type: 'text', text: 'You are a careful analyst.' },
    { type: 'text', text: 'A long, stable reference document…', cache_control: ephemeral },
  ],
  tools: [{ name: 'lookup', description: 'Look a term up', input_schema: { type: 'object', properties: { term: { type: 'string' } } }, cache_control: ephemeral }],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Context to cache', cache_control: ephemeral },
        { type: 'image', source: { type: 'url', url: 'https://example.com/chart.png' }, cache_control: ephemeral },
        { type: 'text', text: 'What does it show?' },
      ],
    },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { term: 'chart' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'lookup service timed out', is_error: true, cache_control: ephemeral }] },
  ],
};

describe('anthropic codec › prompt caching and tool errors', () => {
  it('keeps cache_control on system, text, image, tool and tool_result blocks, and is_error, through decode and encode', () => {
    const encoded = encodeAnthropicRequest(decodeAnthropicRequest(body), { model: 'claude-sonnet-4-5', stream: false });
    expect(encoded.system).toEqual(body.system);
    expect(encoded.tools).toEqual(body.tools);
    expect(encoded.messages).toEqual(body.messages);
  });

  it('never forwards Anthropic-only block fields to an OpenAI-family target', () => {
    const encoded = encodeOpenAIChatRequest(decodeAnthropicRequest(body), { model: 'gpt-4o', stream: false });
    expect(JSON.stringify(encoded)).not.toContain('cache_control');
    expect(JSON.stringify(encoded)).toContain('lookup service timed out');
  });
});
