import { describe, expect, it } from 'vitest';
import { keysOf, readSseFixture, schemaErrors, type SseFrame, uniqueModel, useMockProvider } from './wire-test-kit.ts';

const mock = useMockProvider();
const messages = [{ role: 'user', content: "What's the weather like in SF?" }];

type Chunk = { choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[]; usage?: unknown } & Record<string, unknown>;

function chunksOf(frames: SseFrame[]): Chunk[] {
  expect(frames.at(-1)?.data).toBe('[DONE]');
  return frames.slice(0, -1).map((frame) => JSON.parse(frame.data) as Chunk);
}

describe('openai wire: chat completion streams', () => {
  it('streams text like the recorded text stream, ending with a usage chunk and [DONE]', async () => {
    const model = uniqueModel('gpt-stream');
    mock.provider.script(model, [{ text: "I'm unable to provide real-time weather updates.", chunkSize: 10 }]);
    const { text, frames, headers } = await mock.postSse('/v1/chat/completions', { model, messages, stream: true, stream_options: { include_usage: true } });
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(frames.every((frame) => frame.event === null)).toBe(true);
    const chunks = chunksOf(frames);
    for (const chunk of chunks) expect(schemaErrors('CreateChatCompletionStreamResponse', chunk)).toEqual([]);

    const fixture = chunksOf(readSseFixture('openai/chat-stream-text-usage.sse'));
    const { usage: _firstUsage, ...firstChunk } = chunks[0] ?? { choices: [] };
    expect(keysOf(firstChunk)).toEqual(keysOf(fixture[0]));
    expect(chunks[0]?.choices[0]).toEqual(fixture[0]?.choices[0]);
    expect(chunks[1]?.choices[0]?.delta).toEqual({ content: "I'm unable" });
    expect(chunks.slice(1, -2).map((chunk) => chunk.choices[0]?.delta.content).join('')).toBe("I'm unable to provide real-time weather updates.");
    expect(chunks.at(-2)?.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    // include_usage: every earlier chunk says usage null, the last one has no choices
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(keysOf(chunks.at(-1)?.usage)).toEqual(expect.arrayContaining(keysOf(fixture.at(-1)?.usage)));
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  });

  it('streams parallel tool calls with the recorded chunk shapes', async () => {
    const model = uniqueModel('gpt-stream-tools');
    const weatherArguments = '{"city": "Edinburgh", "country": "GB", "units": "c"}';
    mock.provider.script(model, [{ toolCalls: [{ name: 'GetWeatherArgs', arguments: weatherArguments }, { name: 'get_stock_price', arguments: '{"ticker": "AAPL"' }] }]);
    const { frames } = await mock.postSse('/v1/chat/completions', { model, messages, stream: true });
    const chunks = chunksOf(frames);
    for (const chunk of chunks) {
      expect(schemaErrors('CreateChatCompletionStreamResponse', chunk)).toEqual([]);
      expect(chunk).not.toHaveProperty('usage');
    }
    const fixture = chunksOf(readSseFixture('openai/chat-stream-parallel-tool_calls-usage.sse'));
    const toolDeltas = chunks.flatMap((chunk) => (chunk.choices[0]?.delta.tool_calls as Record<string, unknown>[] | undefined) ?? []);
    const fixtureDeltas = fixture.flatMap((chunk) => (chunk.choices[0]?.delta.tool_calls as Record<string, unknown>[] | undefined) ?? []);
    // the first chunk of each index carries id, type and name; later ones only argument pieces
    expect(keysOf(toolDeltas[0])).toEqual(keysOf(fixtureDeltas[0]));
    expect(keysOf(toolDeltas[1])).toEqual(keysOf(fixtureDeltas[1]));
    expect(toolDeltas[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'GetWeatherArgs', arguments: '' } });
    const argumentsOf = (index: number): string =>
      toolDeltas.filter((delta) => delta.index === index).map((delta) => (delta.function as { arguments: string }).arguments).join('');
    expect(argumentsOf(0)).toBe(weatherArguments);
    expect(argumentsOf(1)).toBe('{"ticker": "AAPL"');
    expect(chunks.at(-1)?.choices).toEqual(fixture.at(-2)?.choices);
  });

  it('streams n choices, each with its own index and finish chunk', async () => {
    const model = uniqueModel('gpt-stream-n');
    mock.provider.script(model, [{ text: 'two' }]);
    const { frames } = await mock.postSse('/v1/chat/completions', { model, messages, stream: true, n: 2 });
    const finishes = chunksOf(frames).filter((chunk) => chunk.choices[0]?.finish_reason === 'stop');
    expect(finishes.map((chunk) => chunk.choices[0]?.index)).toEqual([0, 1]);
  });

  it('sends an in-stream error after the scripted number of content chunks', async () => {
    const model = uniqueModel('gpt-stream-error');
    mock.provider.script(model, [{ text: 'abcdefghijkl', chunkSize: 4, errorEventAfterChunks: 2 }]);
    const { frames } = await mock.postSse('/v1/chat/completions', { model, messages, stream: true });
    expect(frames.map((frame) => frame.data).slice(1, 3).map((data) => (JSON.parse(data) as Chunk).choices[0]?.delta.content)).toEqual(['abcd', 'efgh']);
    expect(frames).toHaveLength(4);
    const error = JSON.parse(frames[3]?.data ?? '') as unknown;
    expect(schemaErrors('ErrorResponse', error)).toEqual([]);
    expect(error).toMatchObject({ error: { type: 'server_error' } });
  });

  it('sends a frame that is not JSON and ends the stream when scripted malformed', async () => {
    const model = uniqueModel('gpt-stream-malformed');
    mock.provider.script(model, [{ text: 'abcdefgh', chunkSize: 4, malformedAfterChunks: 1 }]);
    const { frames } = await mock.postSse('/v1/chat/completions', { model, messages, stream: true });
    expect(frames).toHaveLength(3);
    expect(() => JSON.parse(frames[2]?.data ?? '')).toThrow();
  });
});
