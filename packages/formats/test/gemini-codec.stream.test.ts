import { ProviderHttpError, ProviderUnreachableError, type StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { ChatResultBuilder } from '../src/index.ts';
import { createGeminiStreamDecoder } from '../src/gemini/index.ts';
import { parseSse, readFixture } from './load-fixture.ts';

/** A `.chunks.jsonc` fixture: the JSON array of the stream's `data:` payloads. */
function loadChunks(relativePath: string): Record<string, unknown>[] {
  return JSON.parse(readFixture(relativePath).replace(/^\/\/.*$/gm, '')) as Record<string, unknown>[];
}

/** Feeds payloads to a fresh decoder as the provider does, then its trailing events. */
function decodeAll(payloads: readonly string[]): StreamEvent[] {
  const decoder = createGeminiStreamDecoder('gemini');
  const events = payloads.flatMap((payload) => decoder.decode(payload));
  expect(decoder.finished).toBe(true);
  return [...events, ...decoder.finish()];
}

function ofType<T extends StreamEvent['type']>(events: StreamEvent[], type: T): Extract<StreamEvent, { type: T }>[] {
  return events.filter((event): event is Extract<StreamEvent, { type: T }> => event.type === type);
}

function fold(events: StreamEvent[]) {
  const builder = new ChatResultBuilder();
  for (const event of events) builder.push(event);
  return builder.result();
}

describe('gemini codec › stream › text recording (11 chunks)', () => {
  const chunks = loadChunks('gemini/streamGenerateContent-text.chunks.jsonc');
  const events = decodeAll(chunks.map((chunk) => JSON.stringify(chunk)));

  it('starts once with responseId and modelVersion', () => {
    expect(events[0]).toMatchObject({ type: 'response-start', id: 'pdSfaOurIPqAm9IPucqbqA4', model: 'gemini-2.0-flash' });
    expect(ofType(events, 'response-start')).toHaveLength(1);
  });

  it('emits one text-delta per chunk whose concatenation is the recorded answer', () => {
    const deltas = ofType(events, 'text-delta');
    expect(deltas).toHaveLength(11);
    const text = deltas.map((delta) => delta.delta).join('');
    expect(text.startsWith('The sky is blue due to a phenomenon called **Rayleigh scattering**.')).toBe(true);
    expect(text.endsWith('leading to variations in the blue intensity or even a hazy appearance.')).toBe(true);
  });

  it('ends with one finish then one usage: the last chunk\'s usageMetadata, not the interim ones', () => {
    expect(events.slice(-2)).toEqual([
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'STOP' },
      // interim chunks say promptTokenCount 7; the final one 6 with 377 candidates tokens
      { type: 'usage', usage: { inputTokens: 6, outputTokens: 377 } },
    ]);
    expect(ofType(events, 'usage')).toHaveLength(1);
  });
});

describe('gemini codec › stream › functionCall recording (one whole call in one chunk)', () => {
  const events = decodeAll(loadChunks('gemini/streamGenerateContent-functionCall.chunks.jsonc').map((chunk) => JSON.stringify(chunk)));

  it('emits start, one delta with the whole arguments, and end, all at index 0', () => {
    const [start, delta, end] = events.filter((event) => event.type.startsWith('tool-call-'));
    expect(start).toEqual({ type: 'tool-call-start', index: 0, id: expect.stringMatching(/^call_[0-9a-f]{24}$/), name: 'customDivide' });
    expect(delta).toEqual({ type: 'tool-call-delta', index: 0, argumentsDelta: '{"denominator":2,"numerator":100}' });
    expect(end).toEqual({ type: 'tool-call-end', index: 0 });
  });

  it('finishes with tool-calls and the usage', () => {
    expect(events.slice(-2)).toEqual([
      { type: 'finish', finishReason: 'tool-calls', rawFinishReason: 'STOP' },
      { type: 'usage', usage: { inputTokens: 21, outputTokens: 6 } },
    ]);
  });
});

describe('gemini codec › stream › function calls across chunks', () => {
  const call = (name: string, args: Record<string, unknown>) => ({ functionCall: { name, args } });
  const chunk = (parts: unknown[], finishReason?: string) =>
    JSON.stringify({ candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}) }], responseId: 'r1', modelVersion: 'gemini-2.5-flash' });
  const events = decodeAll([chunk([{ text: 'Calling.' }]), chunk([call('print', { text: 'hi' }), call('beep', {})]), chunk([call('controlLight', { brightness: 50 })], 'STOP')]);

  it('numbers calls 0, 1, 2 across chunks, each with a distinct id', () => {
    const starts = ofType(events, 'tool-call-start');
    expect(starts.map((start) => [start.index, start.name])).toEqual([[0, 'print'], [1, 'beep'], [2, 'controlLight']]);
    expect(new Set(starts.map((start) => start.id)).size).toBe(3);
  });

  it('folds into text then three tool calls with whole arguments', () => {
    const result = fold(events);
    expect(result.choices[0]?.content.map((part) => (part.type === 'tool-call' ? part.arguments : part.type))).toEqual([
      'text',
      '{"text":"hi"}',
      '{}',
      '{"brightness":50}',
    ]);
    expect(result.choices[0]?.finishReason).toBe('tool-calls');
  });
});

describe('gemini codec › stream › thoughts and signatures', () => {
  const events = decodeAll([
    JSON.stringify({ candidates: [{ content: { parts: [{ text: 'Let me think.', thought: true }] } }] }),
    JSON.stringify({ candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} }, thoughtSignature: 'sig-1' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, thoughtsTokenCount: 9 } }),
  ]);

  it('emits thoughts as reasoning-delta and the call signature as an empty reasoning-delta before the call', () => {
    expect(events.slice(1, 4)).toEqual([
      { type: 'reasoning-delta', delta: 'Let me think.' },
      { type: 'reasoning-delta', delta: '', signature: 'sig-1' },
      expect.objectContaining({ type: 'tool-call-start', index: 0, name: 'f' }),
    ]);
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { inputTokens: 5, outputTokens: 12, reasoningTokens: 9 } });
  });
});

describe('gemini codec › stream › SSE framing recording (\\n\\n, \\r\\r, \\r\\n\\r\\n)', () => {
  const payloads = parseSse(readFixture('gemini/streamGenerateContent-sse-framing.sse')).map((event) => event.data);
  const events = decodeAll(payloads);

  it('yields the three chunks in order', () => {
    expect(payloads).toHaveLength(3);
    expect(ofType(events, 'text-delta').map((delta) => delta.delta)).toEqual(['One', 'Two', 'Three']);
  });

  it('finishes the choice once although every chunk repeats finishReason STOP', () => {
    expect(ofType(events, 'finish')).toEqual([{ type: 'finish', finishReason: 'stop', rawFinishReason: 'STOP' }]);
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { inputTokens: 8, outputTokens: 1 } });
  });
});

describe('gemini codec › stream › errors and truncation', () => {
  const errorPayload = readFixture('gemini/error-500-INTERNAL-in-stream.txt')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith(':'))
    .join('\n');

  it('throws ProviderHttpError with the in-stream error\'s code and status name', () => {
    const decoder = createGeminiStreamDecoder('gemini');
    decoder.decode(JSON.stringify({ candidates: [{ content: { parts: [{ text: 'partial' }] } }] }));
    let thrown: unknown;
    try {
      decoder.decode(errorPayload);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProviderHttpError);
    expect(thrown).toMatchObject({ upstreamStatus: 500, status: 502, retryable: true, body: { error: { status: 'INTERNAL' } } });
    expect((thrown as Error).message).toContain('Internal error');
  });

  it('is not finished when the body ends before any finishReason', () => {
    const decoder = createGeminiStreamDecoder('gemini');
    decoder.decode(JSON.stringify({ candidates: [{ content: { parts: [{ text: 'cut' }] } }] }));
    expect(decoder.finished).toBe(false);
  });

  it('throws ProviderUnreachableError for a frame that is not JSON', () => {
    const decoder = createGeminiStreamDecoder('gemini');
    expect(() => decoder.decode('{"candidates": [{"content": {"parts": [{"text": ')).toThrow(ProviderUnreachableError);
  });

  it('finishes a blocked prompt with content-filter and the block reason', () => {
    const events = decodeAll([JSON.stringify({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 3 } })]);
    expect(events.slice(1)).toEqual([
      { type: 'finish', finishReason: 'content-filter', rawFinishReason: 'SAFETY' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 0 } },
    ]);
  });

  it('keeps candidates apart by index (n > 1)', () => {
    const events = decodeAll([
      JSON.stringify({ candidates: [{ index: 0, content: { parts: [{ text: 'a' }] }, finishReason: 'STOP' }, { index: 1, content: { parts: [{ functionCall: { name: 'g', args: {} } }] }, finishReason: 'STOP' }] }),
    ]);
    expect(ofType(events, 'tool-call-start')).toEqual([expect.objectContaining({ choiceIndex: 1, index: 0 })]);
    expect(ofType(events, 'finish')).toEqual([
      { type: 'finish', finishReason: 'stop', rawFinishReason: 'STOP' },
      { type: 'finish', choiceIndex: 1, finishReason: 'tool-calls', rawFinishReason: 'STOP' },
    ]);
  });
});
