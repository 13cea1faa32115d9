import { GatewayError, ProviderHttpError, ProviderUnreachableError, type StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { ChatResultBuilder, createOpenAIStreamDecoder } from '../src/index.ts';
import { accumulateToolCalls, decodeOpenAIFrames, encodeOpenAIEvents, jsonChunks } from './replay-openai-stream.ts';
import { openaiSchemaErrors } from './validate-openai-schema.ts';

const HEAD = { id: 'chatcmpl-edge', object: 'chat.completion.chunk', created: 1727346178, model: 'gpt-4o-2024-08-06' };

/** One `data:` payload with the recording's envelope around `choices`. */
function chunk(choices: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...HEAD, choices, ...extra });
}

function fold(events: StreamEvent[]) {
  const builder = new ChatResultBuilder();
  for (const event of events) builder.push(event);
  return builder.result();
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('openai codec › stream decode › malformed and error frames', () => {
  it('throws a retryable GatewayError naming the provider for a frame that is not JSON', () => {
    const decoder = createOpenAIStreamDecoder('acme');
    decoder.decode(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
    const error = thrownBy(() => decoder.decode('{"id":"chatcmpl-edge","choices":[{"index":0,'));
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toBeInstanceOf(ProviderUnreachableError);
    expect(error).toMatchObject({ provider: 'acme', retryable: true, status: 502 });
    expect((error as Error).message).toContain('provider acme sent a malformed stream frame (not JSON)');
  });

  it('throws a GatewayError for JSON that is not a chunk', () => {
    const error = thrownBy(() => createOpenAIStreamDecoder('acme').decode('{"choices":"nope"}'));
    expect(error).toBeInstanceOf(ProviderUnreachableError);
    expect((error as Error).message).toContain('malformed stream chunk');
  });

  it('throws ProviderHttpError carrying the body for a data: {"error": …} frame', () => {
    const body = { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null };
    const decoder = createOpenAIStreamDecoder('openai');
    decoder.decode(chunk([{ index: 0, delta: { content: 'Hel' }, finish_reason: null }]));
    const error = thrownBy(() => decoder.decode(JSON.stringify({ error: body })));
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect(error).toMatchObject({ provider: 'openai', body, retryable: true, status: 502, code: 'provider_error' });
    expect((error as Error).message).toBe('provider openai failed mid-stream: The server had an error while processing your request.');
  });
});

describe('openai codec › stream decode › tool calls from OpenAI-compatible servers', () => {
  it('starts a tool call that has neither index nor id once, with a generated call_ id', () => {
    const { events } = decodeOpenAIFrames([
      chunk([{ index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: '{"city": ' } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: { tool_calls: [{ function: { arguments: '"Paris"}' } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]),
      '[DONE]',
    ]);
    const starts = events.filter((event) => event.type === 'tool-call-start');
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ index: 0, name: 'get_weather' });
    expect((starts[0] as { id: string }).id).toMatch(/^call_[0-9a-f]{32}$/);
    expect(events.filter((event) => event.type === 'tool-call-end')).toEqual([{ type: 'tool-call-end', index: 0 }]);
    expect(fold(events).choices[0]?.content).toEqual([
      { type: 'tool-call', id: (starts[0] as { id: string }).id, name: 'get_weather', arguments: '{"city": "Paris"}' },
    ]);
  });

  it('gives two generated ids to two index-less, id-less calls sent in one chunk', () => {
    const { events } = decodeOpenAIFrames([
      chunk([
        {
          index: 0,
          delta: {
            tool_calls: [
              { function: { name: 'get_weather', arguments: '{"city": "Paris"}' } },
              { function: { name: 'get_time', arguments: '{"zone": "CET"}' } },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ]),
    ]);
    const calls = fold(events).choices[0]?.content ?? [];
    expect(calls).toMatchObject([
      { type: 'tool-call', name: 'get_weather', arguments: '{"city": "Paris"}' },
      { type: 'tool-call', name: 'get_time', arguments: '{"zone": "CET"}' },
    ]);
    const ids = calls.map((part) => (part.type === 'tool-call' ? part.id : ''));
    expect(new Set(ids).size).toBe(2);
  });

  // Gemini's OpenAI-compatible endpoint omits `index` and sends each call whole, with its own id,
  // in its own chunk (github.com/THU-MAIC/OpenMAIC/issues/1556, github.com/dyedd/lens/issues/49).
  it('starts a new tool call for an index-less chunk that carries a new id', () => {
    const { events } = decodeOpenAIFrames([
      chunk([{ index: 0, delta: { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'glob', arguments: '{"pattern":"**/*"}' } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: { tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'read', arguments: '{"path":' } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: { tool_calls: [{ function: { arguments: '"a.md"}' } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]),
    ]);
    expect(events.filter((event) => event.type.startsWith('tool-call-') && event.type !== 'tool-call-delta')).toEqual([
      { type: 'tool-call-start', index: 0, id: 'call_1', name: 'glob' },
      { type: 'tool-call-end', index: 0 },
      { type: 'tool-call-start', index: 1, id: 'call_2', name: 'read' },
      { type: 'tool-call-end', index: 1 },
    ]);
    expect(fold(events).choices[0]?.content).toEqual([
      { type: 'tool-call', id: 'call_1', name: 'glob', arguments: '{"pattern":"**/*"}' },
      { type: 'tool-call', id: 'call_2', name: 'read', arguments: '{"path":"a.md"}' },
    ]);
  });

  it('delivers arguments that are not valid JSON unchanged, decoded and re-encoded', () => {
    const broken = '{"city": "Paris", "units": ';
    const { events } = decodeOpenAIFrames([
      chunk([{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_x', type: 'function', function: { name: 'get_weather', arguments: '' } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city": "Paris", ' } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"units": ' } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, finish_reason: 'length' }]),
      '[DONE]',
    ]);
    expect(fold(events).choices[0]).toEqual({
      index: 0,
      content: [{ type: 'tool-call', id: 'call_x', name: 'get_weather', arguments: broken }],
      finishReason: 'length',
      rawFinishReason: 'length',
    });
    const reEncoded = jsonChunks(encodeOpenAIEvents(events, { includeUsage: false }));
    expect(accumulateToolCalls(reEncoded).get(0)).toEqual([{ id: 'call_x', type: 'function', name: 'get_weather', arguments: broken }]);
  });
});

describe('openai codec › stream › n=2 choices', () => {
  const frames = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], { system_fingerprint: 'fp_5050236cbd' }),
    chunk([{ index: 1, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], { system_fingerprint: 'fp_5050236cbd' }),
    chunk([{ index: 0, delta: { content: 'Hello' }, logprobs: null, finish_reason: null }], { system_fingerprint: 'fp_5050236cbd' }),
    chunk([{ index: 1, delta: { content: 'Hi' }, logprobs: null, finish_reason: null }], { system_fingerprint: 'fp_5050236cbd' }),
    chunk([{ index: 1, delta: { tool_calls: [{ index: 0, id: 'call_b', type: 'function', function: { name: 'wave', arguments: '{}' } }] }, logprobs: null, finish_reason: null }], { system_fingerprint: 'fp_5050236cbd' }),
    chunk([{ index: 0, delta: { content: ' there' }, logprobs: null, finish_reason: null }], { system_fingerprint: 'fp_5050236cbd' }),
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], { system_fingerprint: 'fp_5050236cbd' }),
    chunk([{ index: 1, delta: {}, logprobs: null, finish_reason: 'tool_calls' }], { system_fingerprint: 'fp_5050236cbd' }),
    chunk([], { system_fingerprint: 'fp_5050236cbd', usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 } }),
    '[DONE]',
  ];
  const { events } = decodeOpenAIFrames(frames);

  it('tags events of choice 1 with choiceIndex and leaves choice 0 untagged', () => {
    expect(events.filter((event) => 'choiceIndex' in event).every((event) => (event as { choiceIndex: number }).choiceIndex === 1)).toBe(true);
    expect(events).toContainEqual({ type: 'text-delta', choiceIndex: 1, delta: 'Hi' });
    expect(events).toContainEqual({ type: 'tool-call-start', choiceIndex: 1, index: 0, id: 'call_b', name: 'wave' });
    expect(events).toContainEqual({ type: 'tool-call-end', choiceIndex: 1, index: 0 });
    expect(events).toContainEqual({ type: 'finish', choiceIndex: 1, finishReason: 'tool-calls', rawFinishReason: 'tool_calls' });
    expect(events).toContainEqual({ type: 'finish', finishReason: 'stop', rawFinishReason: 'stop' });
  });

  it('folds into two separate choices', () => {
    expect(fold(events).choices).toEqual([
      { index: 0, content: [{ type: 'text', text: 'Hello there' }], finishReason: 'stop', rawFinishReason: 'stop' },
      {
        index: 1,
        content: [
          { type: 'text', text: 'Hi' },
          { type: 'tool-call', id: 'call_b', name: 'wave', arguments: '{}' },
        ],
        finishReason: 'tool-calls',
        rawFinishReason: 'tool_calls',
      },
    ]);
  });

  it('re-encodes valid chunks that keep the choices apart and decode back to the same events', () => {
    const sse = encodeOpenAIEvents(events, { includeUsage: true });
    const chunks = jsonChunks(sse);
    for (const encoded of chunks) expect(openaiSchemaErrors('CreateChatCompletionStreamResponse', encoded)).toEqual([]);
    const roleChunks = chunks.filter((encoded) => (encoded.choices as { delta: { role?: string } }[])[0]?.delta.role === 'assistant');
    expect(roleChunks.map((encoded) => (encoded.choices as { index: number }[])[0]?.index)).toEqual([0, 1]);
    expect(accumulateToolCalls(chunks)).toEqual(new Map([[1, [{ id: 'call_b', type: 'function', name: 'wave', arguments: '{}' }]]]));
    const reDecoded = decodeOpenAIFrames(sse.split('\n\n').filter((frame) => frame !== '').map((frame) => frame.slice('data: '.length))).events;
    expect(fold(reDecoded).choices).toEqual(fold(events).choices);
    expect(reDecoded.filter((event) => event.type !== 'usage')).toEqual(events.filter((event) => event.type !== 'usage'));
  });
});

describe('openai codec › schema validator', () => {
  it('rejects a chunk the spec does not allow, so the validation assertions can fail', () => {
    const valid = JSON.parse(chunk([{ index: 0, delta: { content: 'x' }, logprobs: null, finish_reason: null }])) as Record<string, unknown>;
    expect(openaiSchemaErrors('CreateChatCompletionStreamResponse', valid)).toEqual([]);
    expect(openaiSchemaErrors('CreateChatCompletionStreamResponse', { ...valid, system_fingerprint: null })).not.toEqual([]);
    expect(openaiSchemaErrors('CreateChatCompletionStreamResponse', { ...valid, choices: [{ index: 0, delta: {}, finish_reason: 'done' }] })).not.toEqual([]);
    const { id: _id, ...withoutId } = valid;
    expect(openaiSchemaErrors('CreateChatCompletionStreamResponse', withoutId)).not.toEqual([]);
  });
});
