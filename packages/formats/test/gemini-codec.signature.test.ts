import type { AssistantPart, ChatRequest, Message, StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { ChatResultBuilder, decodeOpenAIChatRequest, encodeOpenAIChatResponse } from '../src/index.ts';
import { createGeminiStreamDecoder, decodeGeminiResponse, encodeGeminiRequest } from '../src/gemini/index.ts';
import { loadJsoncFixture } from './load-fixture.ts';

const fixture = loadJsoncFixture('gemini/generateContent-response-functionCall-thoughtSignature.jsonc');
const recordedPart = (fixture.candidates as { content: { parts: Record<string, unknown>[] } }[])[0]!.content.parts[0]!;
const SIGNATURE = recordedPart.thoughtSignature as string;
const USER: Message = { role: 'user', content: [{ type: 'text', text: 'put word: hello and word: world into a string' }] };

function nextTurn(assistant: AssistantPart[]): ChatRequest {
  const call = assistant.find((part) => part.type === 'tool-call');
  return {
    model: 'gemini/gemini-2.5-flash',
    messages: [USER, { role: 'assistant', content: assistant }, { role: 'tool', toolCallId: call!.id, content: [{ type: 'text', text: '{"result":"hello world"}' }] }],
    stream: false,
    includeUsage: false,
  };
}

/** The model turn and the function response turn the next request sends. */
function sentBack(assistant: AssistantPart[]): unknown[] {
  return (encodeGeminiRequest(nextTurn(assistant)).contents as unknown[]).slice(1);
}

const EXPECTED_TURNS = [
  { role: 'model', parts: [{ functionCall: { name: 'concatStringFunction', args: { firstString: 'hello', secondString: 'world' } }, thoughtSignature: SIGNATURE }] },
  { role: 'user', parts: [{ functionResponse: { name: 'concatStringFunction', response: { result: 'hello world' } } }] },
];

describe('gemini codec › thought signature round trip', () => {
  it('sends the recorded part back verbatim: the same functionCall with the same thoughtSignature', () => {
    const result = decodeGeminiResponse(fixture, 'gemini');
    const turns = sentBack(result.choices[0]!.content);
    expect(turns).toEqual(EXPECTED_TURNS);
    expect((turns[0] as { parts: unknown[] }).parts[0]).toEqual(recordedPart);
  });

  it('survives streaming: chunk → events → folded result → next request', () => {
    const decoder = createGeminiStreamDecoder('gemini');
    const events: StreamEvent[] = [...decoder.decode(JSON.stringify(fixture)), ...decoder.finish()];
    const builder = new ChatResultBuilder();
    for (const event of events) builder.push(event);
    expect(sentBack(builder.result().choices[0]!.content)).toEqual(EXPECTED_TURNS);
  });

  it('survives the OpenAI wire: reasoning_signature on the assistant message the client echoes back', () => {
    const response = encodeOpenAIChatResponse(decodeGeminiResponse(fixture, 'gemini'));
    const message = (response.choices as { message: Record<string, unknown> }[])[0]!.message;
    expect(message.reasoning_signature).toBe(SIGNATURE);
    const toolCallId = (message.tool_calls as { id: string }[])[0]!.id;
    const decoded = decodeOpenAIChatRequest({
      model: 'gemini/gemini-2.5-flash',
      messages: [
        { role: 'user', content: 'put word: hello and word: world into a string' },
        message,
        { role: 'tool', tool_call_id: toolCallId, content: '{"result":"hello world"}' },
      ],
    });
    expect((encodeGeminiRequest(decoded).contents as unknown[]).slice(1)).toEqual(EXPECTED_TURNS);
  });

  it('moves a signature merged into preceding thought text to the function call, keeping the thought', () => {
    // What ChatResultBuilder makes of a thought delta followed by the call's signature delta.
    const turns = sentBack([
      { type: 'reasoning', text: 'I should concatenate.', signature: 'sig-merged' },
      { type: 'text', text: 'Calling the function.' },
      { type: 'tool-call', id: 'call_1', name: 'concatStringFunction', arguments: '{"firstString":"hello","secondString":"world"}' },
    ]);
    expect(turns[0]).toEqual({
      role: 'model',
      parts: [
        { text: 'I should concatenate.', thought: true },
        { text: 'Calling the function.' },
        { functionCall: { name: 'concatStringFunction', args: { firstString: 'hello', secondString: 'world' } }, thoughtSignature: 'sig-merged' },
      ],
    });
  });

  it('gives each of several signatures to its own function call, in order', () => {
    const turns = sentBack([
      { type: 'reasoning', text: '', signature: 'sig-a' },
      { type: 'tool-call', id: 'call_1', name: 'concatStringFunction', arguments: '{}' },
      { type: 'reasoning', text: '', signature: 'sig-b' },
      { type: 'tool-call', id: 'call_2', name: 'concatStringFunction', arguments: '{}' },
    ]);
    expect((turns[0] as { parts: { thoughtSignature?: string }[] }).parts.map((part) => part.thoughtSignature)).toEqual(['sig-a', 'sig-b']);
  });

  it('puts a text signature back on its text, and a trailing one on an empty text part as Gemini sends it', () => {
    const request: ChatRequest = {
      model: 'g',
      messages: [
        USER,
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: '', signature: 'sig-text' },
            { type: 'text', text: 'Done.' },
            { type: 'reasoning', text: '', signature: 'sig-end' },
          ],
        },
      ],
      stream: false,
      includeUsage: false,
    };
    expect((encodeGeminiRequest(request).contents as unknown[])[1]).toEqual({
      role: 'model',
      parts: [{ text: 'Done.', thoughtSignature: 'sig-text' }, { text: '', thoughtSignature: 'sig-end' }],
    });
  });
});
