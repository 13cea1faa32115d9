import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/** Providers of every type, all pointed at the one mock provider. */
const providers = (mockUrl: string) => ({
  providers: {
    local: { type: 'openai-compatible', base_url: `${mockUrl}/v1` },
    claude: { type: 'anthropic', base_url: `${mockUrl}/v1`, api_key: 'sk-ant-test' },
    gem: { type: 'gemini', base_url: `${mockUrl}/v1beta`, api_key: 'gemini-test' },
  },
});

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('Anthropic-format ingress at /v1/messages', () => {
  let stack: Stack;
  let anthropic: Anthropic;
  let sequence = 0;
  const model = (provider: string) => `${provider}/ingress-${++sequence}`;
  const scripted = (provider: string, steps: Parameters<Stack['mock']['script']>[1]) => {
    const name = model(provider);
    stack.mock.script(name.slice(name.indexOf('/') + 1), steps);
    return name;
  };

  beforeAll(async () => {
    stack = await startStack({ config: providers });
    anthropic = new Anthropic({ apiKey: MASTER_KEY, baseURL: stack.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await stack?.close();
  });

  describe.each(['claude', 'local', 'gem'])('routed to the %s provider', (provider) => {
    it('answers a text message the SDK parses', async () => {
      const name = scripted(provider, [{ text: 'Bonjour from upstream.' }]);
      const message = await anthropic.messages.create({ model: name, max_tokens: 64, messages: [{ role: 'user', content: 'Say hello' }] });
      expect(message.type).toBe('message');
      expect(message.role).toBe('assistant');
      expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Bonjour from upstream.' })]);
      expect(message.stop_reason).toBe('end_turn');
      expect(message.usage.output_tokens).toBeGreaterThan(0);
    });

    it('streams through the SDK stream helpers to the same text', async () => {
      const name = scripted(provider, [{ text: 'A streamed answer in several small pieces.', chunkSize: 5 }]);
      const stream = anthropic.messages.stream({ model: name, max_tokens: 64, messages: [{ role: 'user', content: 'Stream please' }] });
      let deltas = '';
      stream.on('text', (text) => {
        deltas += text;
      });
      const final = await stream.finalMessage();
      expect(deltas).toBe('A streamed answer in several small pieces.');
      expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'A streamed answer in several small pieces.' })]);
      expect(final.stop_reason).toBe('end_turn');
    });

    it('returns parallel tool_use blocks with their input intact, streamed and not', async () => {
      const calls = [
        { id: 'toolu_a1', name: 'get_weather', arguments: '{"city":"Edinburgh"}' },
        { id: 'toolu_b2', name: 'get_weather', arguments: '{"city":"Lisbon"}' },
      ];
      for (const stream of [false, true]) {
        const name = scripted(provider, [{ toolCalls: calls, chunkSize: 4 }]);
        const request = { model: name, max_tokens: 128, tools: [WEATHER_TOOL], messages: [{ role: 'user' as const, content: 'Weather in Edinburgh and Lisbon?' }] };
        const message = stream ? await anthropic.messages.stream(request).finalMessage() : await anthropic.messages.create(request);
        const toolUses = message.content.filter((block) => block.type === 'tool_use');
        expect(toolUses.map((block) => block.input)).toEqual([{ city: 'Edinburgh' }, { city: 'Lisbon' }]);
        expect(toolUses.map((block) => block.name)).toEqual(['get_weather', 'get_weather']);
        expect(new Set(toolUses.map((block) => block.id)).size).toBe(2);
        expect(message.stop_reason).toBe('tool_use');
      }
    });

    it('carries a tool_use / tool_result turn to the upstream', async () => {
      const name = scripted(provider, [{ text: 'It is 14°C in Edinburgh.' }]);
      const message = await anthropic.messages.create({
        model: name,
        max_tokens: 64,
        system: 'You are terse.',
        tools: [WEATHER_TOOL],
        messages: [
          { role: 'user', content: 'Weather in Edinburgh?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_prev', name: 'get_weather', input: { city: 'Edinburgh' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_prev', content: '14°C, light rain' }] },
        ],
      });
      expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'It is 14°C in Edinburgh.' })]);
      const upstream = stack.mock.requests.filter((recorded) => recorded.model === name.slice(name.indexOf('/') + 1)).at(-1);
      const sent = JSON.stringify(upstream?.body);
      // Whatever the upstream's format, the tool call's input and the tool's result both reached it.
      expect(sent).toContain('Edinburgh');
      expect(sent).toContain('14°C, light rain');
      expect(sent).toContain('You are terse.');
    });
  });

  it('passes an Anthropic request to an Anthropic upstream with the same semantics', async () => {
    const name = scripted('claude', [{ text: 'ok' }]);
    await anthropic.messages.create({
      model: name,
      max_tokens: 100,
      system: 'Be brief.',
      temperature: 0.2,
      stop_sequences: ['END'],
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'hi' }],
    });
    const upstream = stack.mock.requests.filter((recorded) => recorded.model === name.slice('claude/'.length)).at(-1);
    expect(upstream?.format).toBe('anthropic');
    expect(upstream?.body).toMatchObject({
      max_tokens: 100,
      system: 'Be brief.',
      temperature: 0.2,
      stop_sequences: ['END'],
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('answers errors in Anthropic error format, which the SDK raises as its own error classes', async () => {
    const badKey = new Anthropic({ apiKey: 'gk-not-a-key', baseURL: stack.url, maxRetries: 0 });
    await expect(badKey.messages.create({ model: 'claude/x', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);

    const response = await fetch(`${stack.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': MASTER_KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude/x', messages: [{ role: 'user', content: 'no max_tokens' }] }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('max_tokens');

    const unknownBlock = await anthropic.messages
      .create({ model: 'claude/x', max_tokens: 8, messages: [{ role: 'user', content: [{ type: 'hologram', data: 'x' } as never] }] })
      .catch((error: unknown) => error);
    expect(unknownBlock).toBeInstanceOf(Anthropic.BadRequestError);
    expect((unknownBlock as Error).message).toContain('hologram');
  });

  it('surfaces an upstream error in the middle of a stream as an SDK error', async () => {
    const name = scripted('local', [{ text: 'this will break off midway', chunkSize: 4, errorEventAfterChunks: 2 }]);
    const stream = anthropic.messages.stream({ model: name, max_tokens: 64, messages: [{ role: 'user', content: 'go' }] });
    await expect(stream.finalMessage()).rejects.toThrow();
  });

  it('counts tokens for an Anthropic target and refuses, naming the provider, for others', async () => {
    const name = scripted('claude', [{}]);
    const counted = await anthropic.messages.countTokens({ model: name, messages: [{ role: 'user', content: 'How many tokens is this?' }] });
    expect(counted.input_tokens).toBeGreaterThan(0);

    const refused = await anthropic.messages.countTokens({ model: 'local/anything', messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect((refused as Error).message).toContain('local');
  });
});
