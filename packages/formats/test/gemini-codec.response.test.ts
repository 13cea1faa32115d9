import { ProviderUnreachableError, type ChatResult } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeGeminiResponse, mapGeminiFinishReason } from '../src/gemini/index.ts';
import { loadJsoncFixture } from './load-fixture.ts';

const threeCallsBody = loadJsoncFixture('gemini/generateContent-response-3-functionCalls.jsonc');
const signatureBody = loadJsoncFixture('gemini/generateContent-response-functionCall-thoughtSignature.jsonc');
const thoughtBody = loadJsoncFixture('gemini/generateContent-response-thought.jsonc');

// Read off the recordings by hand.
const SIGNATURE =
  'CtQCAdHtim+CSMEsd8/frGOxxoHcHh6iokgtiJYcUoqE5xOtQyNsg5dbM46cIL2thVozU8BTKLe4Gl3VAFE6ATTSr9bShUt78kB/cZrFfeueIMqe/J+/reIj3muQEYB88glAXjaPg8h4gW5mIsxJRvypauVnxdp6Ld2TlDY9YaBADjSGnM13rr4jGkB1XDKOGv/aGFcN05wRhrDzldoXT3KqhMEIQhDUN4n25QfUKBdS32oEOntEY28lwplt9scp5PJpJ6rZgXifmjzpoJL1DTID0TgIKbHukEdVH6AsxNifbhko/Ids9HqLqggvC9mqfm9PwaBePNlcLbIhtuTemU8RrBSZM8hm1yJLUEnpi9crvLGJxx9xyYdDJJwwJEkpfqZr5RN8I8BeJcBPJtZwkg0iZ+pZfeRn1W0uqLOlDah8BCfO8uHms9BVYb4WMwUwfAMlsqlk1g==';
const CALL_ID = /^call_[0-9a-f]{24}$/;

describe('gemini codec › response › 3 functionCalls recording (no call ids)', () => {
  const result = decodeGeminiResponse(threeCallsBody, 'gemini');
  const content = result.choices[0]?.content ?? [];

  it('decodes each functionCall to a tool-call part with its name and JSON-text arguments, in order', () => {
    expect(content.map((part) => (part.type === 'tool-call' ? [part.name, JSON.parse(part.arguments)] : part.type))).toEqual([
      ['print', { color: 'blue', text: 'hello' }],
      ['beep', {}],
      ['controlLight', { brightness: 50, colorTemperature: 'warm' }],
    ]);
  });

  it('gives every call a generated, distinct call_ id', () => {
    const ids = content.map((part) => (part.type === 'tool-call' ? part.id : ''));
    for (const id of ids) expect(id).toMatch(CALL_ID);
    expect(new Set(ids).size).toBe(3);
  });

  it('maps STOP with function calls to tool-calls, keeping STOP as the raw reason', () => {
    expect(result.choices[0]).toMatchObject({ index: 0, finishReason: 'tool-calls', rawFinishReason: 'STOP' });
  });

  it('takes id from responseId, model from modelVersion and usage from usageMetadata', () => {
    expect(result).toMatchObject({ id: 'ojCtaMv-M-H9jrEP_aiggAo', model: 'gemini-2.0-flash', usage: { inputTokens: 96, outputTokens: 13 } });
    expect(result.usage).toEqual({ inputTokens: 96, outputTokens: 13 });
    expect(result.created).toBeGreaterThan(1_700_000_000);
  });
});

describe('gemini codec › response › functionCall with thoughtSignature recording', () => {
  const result = decodeGeminiResponse(signatureBody, 'gemini');

  it('carries the signature on an empty reasoning part right before the tool call', () => {
    const [carrier, call, ...rest] = result.choices[0]?.content ?? [];
    expect(carrier).toEqual({ type: 'reasoning', text: '', signature: SIGNATURE });
    expect(call).toMatchObject({ type: 'tool-call', name: 'concatStringFunction', arguments: '{"firstString":"hello","secondString":"world"}' });
    expect(rest).toEqual([]);
  });

  it('counts thoughts as output and as reasoning tokens', () => {
    // candidatesTokenCount 22 + thoughtsTokenCount 77
    expect(result.usage).toEqual({ inputTokens: 65, outputTokens: 99, reasoningTokens: 77 });
  });
});

describe('gemini codec › response › thought part recording', () => {
  const result = decodeGeminiResponse(thoughtBody, 'gemini');

  it('decodes a thought:true part to a reasoning part and MAX_TOKENS to length', () => {
    expect(result.choices).toEqual([
      {
        index: 0,
        content: [{ type: 'reasoning', text: expect.stringMatching(/^\*\*Breaking Down the Sum of Natural Numbers\*\*\n\nOkay/) }],
        finishReason: 'length',
        rawFinishReason: 'MAX_TOKENS',
      },
    ]);
    expect(result.usage).toEqual({ inputTokens: 17, outputTokens: 19, reasoningTokens: 19 });
  });
});

describe('gemini codec › response › shapes the recordings lack', () => {
  it('decodes several candidates to several choices by their index', () => {
    const result = decodeGeminiResponse(
      {
        candidates: [
          { index: 0, content: { role: 'model', parts: [{ text: 'one' }] }, finishReason: 'STOP' },
          { index: 1, content: { role: 'model', parts: [{ text: 'two' }] }, finishReason: 'SAFETY' },
        ],
        usageMetadata: { promptTokenCount: 10, cachedContentTokenCount: 4, candidatesTokenCount: 2, totalTokenCount: 12 },
      },
      'gemini',
    );
    expect(result.choices).toEqual([
      { index: 0, content: [{ type: 'text', text: 'one' }], finishReason: 'stop', rawFinishReason: 'STOP' },
      { index: 1, content: [{ type: 'text', text: 'two' }], finishReason: 'content-filter', rawFinishReason: 'SAFETY' },
    ] satisfies ChatResult['choices']);
    expect(result.usage).toEqual({ inputTokens: 10, cachedInputTokens: 4, outputTokens: 2 });
  });

  it('turns a prompt blocked before any candidate into one empty content-filter choice', () => {
    const result = decodeGeminiResponse({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 12559 } }, 'gemini');
    expect(result.choices).toEqual([{ index: 0, content: [], finishReason: 'content-filter', rawFinishReason: 'PROHIBITED_CONTENT' }]);
  });

  it('keeps the id Gemini gives a function call when it gives one', () => {
    const result = decodeGeminiResponse({ candidates: [{ content: { parts: [{ functionCall: { id: 'fc-7', name: 'f', args: { a: 1 } } }] }, finishReason: 'STOP' }] }, 'gemini');
    expect(result.choices[0]?.content).toEqual([{ type: 'tool-call', id: 'fc-7', name: 'f', arguments: '{"a":1}' }]);
  });

  it('puts a signature that came on a text part before that text', () => {
    const result = decodeGeminiResponse({ candidates: [{ content: { parts: [{ text: 'Hi', thoughtSignature: 'sig-t' }] }, finishReason: 'STOP' }] }, 'gemini');
    expect(result.choices[0]?.content).toEqual([{ type: 'reasoning', text: '', signature: 'sig-t' }, { type: 'text', text: 'Hi' }]);
  });

  it('throws ProviderUnreachableError naming the provider for a body that is not a response', () => {
    expect(() => decodeGeminiResponse({ candidates: 'nope' }, 'my-gemini')).toThrow(ProviderUnreachableError);
    expect(() => decodeGeminiResponse({ candidates: 'nope' }, 'my-gemini')).toThrow(/my-gemini/);
  });
});

describe('gemini codec › finish reasons', () => {
  it.each([
    ['STOP', false, 'stop'],
    ['STOP', true, 'tool-calls'],
    ['MAX_TOKENS', false, 'length'],
    ['SAFETY', false, 'content-filter'],
    ['RECITATION', false, 'content-filter'],
    ['BLOCKLIST', false, 'content-filter'],
    ['PROHIBITED_CONTENT', false, 'content-filter'],
    ['SPII', false, 'content-filter'],
    ['MALFORMED_FUNCTION_CALL', false, 'other'],
    ['LANGUAGE', false, 'other'],
    [undefined, false, 'other'],
  ] as const)('maps %s (function calls: %s) to %s', (raw, calls, expected) => {
    expect(mapGeminiFinishReason(raw, calls)).toBe(expected);
  });
});
