import type { ChatRequest, Message } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeAnthropicRequest, decodeGeminiResponse, encodeAnthropicRequest, encodeGeminiRequest, RAW_ARGUMENTS_KEY } from '../src/index.ts';
import { decodeToolArguments, encodeToolArguments } from '../src/tool-arguments.ts';

const ARGUMENT_TEXTS = ['{"city": "Paris"}', '{"city": "Par', '[1,2]', '42', '"text"', 'null', '', '  ', 'not json at all'];

function request(text: string): ChatRequest {
  const messages: Message[] = [
    { role: 'user', content: [{ type: 'text', text: 'x' }] },
    { role: 'assistant', content: [{ type: 'tool-call', id: 'call_1', name: 'f', arguments: text }] },
    { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: 'ok' }] },
  ];
  return { model: 'm', messages, stream: false, includeUsage: false };
}

function anthropicInput(text: string): unknown {
  const body = encodeAnthropicRequest(request(text), { model: 'm', stream: false });
  return ((body.messages as { content: { input?: unknown }[] }[])[1]?.content[0])?.input;
}

function geminiArgs(text: string): unknown {
  const body = encodeGeminiRequest(request(text));
  return ((body.contents as { parts: { functionCall?: { args?: unknown } }[] }[])[1]?.parts[0])?.functionCall?.args;
}

describe('tool arguments › text to object', () => {
  it('parses a JSON object, makes empty text {}, and wraps everything else under _raw_arguments as sent', () => {
    expect(RAW_ARGUMENTS_KEY).toBe('_raw_arguments');
    expect(encodeToolArguments('{"city": "Paris"}')).toStrictEqual({ city: 'Paris' });
    expect(encodeToolArguments(' ')).toStrictEqual({});
    expect(encodeToolArguments('{"city": "Par')).toStrictEqual({ _raw_arguments: '{"city": "Par' });
    expect(encodeToolArguments('[1,2]')).toStrictEqual({ _raw_arguments: '[1,2]' });
    expect(encodeToolArguments('null')).toStrictEqual({ _raw_arguments: 'null' });
  });

  it.each(ARGUMENT_TEXTS)('gives Anthropic tool_use.input and Gemini functionCall.args the same object for %j', (text) => {
    expect(anthropicInput(text)).toStrictEqual(encodeToolArguments(text));
    expect(geminiArgs(text)).toStrictEqual(encodeToolArguments(text));
  });
});

describe('tool arguments › object to text', () => {
  it('serialises an object, makes a missing input {}, and unwraps the _raw_arguments wrapper', () => {
    expect(decodeToolArguments({ city: 'Paris' })).toBe('{"city":"Paris"}');
    expect(decodeToolArguments(undefined)).toBe('{}');
    expect(decodeToolArguments(null)).toBe('{}');
    expect(decodeToolArguments({ _raw_arguments: '{"city": "Par' })).toBe('{"city": "Par');
    // Only the exact wrapper is unwrapped: another key beside it, or a non-string value, is an ordinary object.
    expect(decodeToolArguments({ _raw_arguments: 'x', other: 1 })).toBe('{"_raw_arguments":"x","other":1}');
    expect(decodeToolArguments({ _raw_arguments: 1 })).toBe('{"_raw_arguments":1}');
  });

  it.each(['{"city": "Par', '[1,2]', '42', '"text"', 'null', 'not json at all'])('gives back %j as sent after a trip through the object form', (text) => {
    expect(decodeToolArguments(encodeToolArguments(text))).toBe(text);
  });

  it('unwraps the wrapper an Anthropic client sends back in its history', () => {
    const decoded = decodeAnthropicRequest({
      model: 'm',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: { _raw_arguments: '{"city": "Par' } }] },
      ],
    });
    expect(decoded.messages[1]).toStrictEqual({ role: 'assistant', content: [{ type: 'tool-call', id: 'toolu_1', name: 'f', arguments: '{"city": "Par' }] });
  });

  it('reads Gemini functionCall args the same way, a missing args being {}', () => {
    const result = decodeGeminiResponse(
      { candidates: [{ content: { parts: [{ functionCall: { id: 'c1', name: 'f', args: { _raw_arguments: '[1,2]' } } }, { functionCall: { id: 'c2', name: 'g' } }] }, finishReason: 'STOP' }] },
      'gemini',
    );
    expect(result.choices[0]?.content).toStrictEqual([
      { type: 'tool-call', id: 'c1', name: 'f', arguments: '[1,2]' },
      { type: 'tool-call', id: 'c2', name: 'g', arguments: '{}' },
    ]);
  });
});
