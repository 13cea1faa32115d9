import { InvalidRequestError, type ChatRequest, type Message } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { encodeGeminiRequest } from '../src/gemini/index.ts';
import { loadJsoncFixture, readFixture } from './load-fixture.ts';

function request(messages: Message[], extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'gemini/gemini-2.5-flash', messages, stream: false, includeUsage: false, ...extra };
}

const user = (text: string): Message => ({ role: 'user', content: [{ type: 'text', text }] });

describe('gemini codec › request › matches the recorded request bodies', () => {
  it('encodes a named tool choice and a JSON-schema tool exactly as the mode-ANY recording', () => {
    const fixture = loadJsoncFixture('gemini/generateContent-request-tools-mode-ANY.jsonc');
    const declaration = (fixture.tools as { functionDeclarations: { name: string; description: string; parametersJsonSchema: Record<string, unknown> }[] }[])[0]!.functionDeclarations[0]!;
    const encoded = encodeGeminiRequest(
      request([user('put word: hello and word: world into a string')], {
        tools: [{ name: 'concatStringFunction', description: 'this is a concat string function', parameters: declaration.parametersJsonSchema }],
        toolChoice: { name: 'concatStringFunction' },
      }),
    );
    expect(encoded).toEqual(fixture);
  });

  it('encodes tool_choice auto and JSON-schema tools as the mixed-tools recording (one tools entry)', () => {
    const fixture = loadJsoncFixture('gemini/generateContent-request-tools.jsonc');
    const declarations = (fixture.tools as { functionDeclarations: Record<string, unknown>[] }[]).flatMap((tool) => tool.functionDeclarations);
    const withJsonSchema = declarations.filter((declaration) => 'parametersJsonSchema' in declaration);
    const encoded = encodeGeminiRequest(
      request([user('Use the printer to print a simple word: hello in blue, and beep with the beeper, then control the light to warm, 50')], {
        tools: withJsonSchema.map((declaration) => ({ name: declaration.name as string, parameters: declaration.parametersJsonSchema as Record<string, unknown> })),
        toolChoice: 'auto',
      }),
    );
    expect(encoded.contents).toEqual(fixture.contents);
    expect(encoded.toolConfig).toEqual(fixture.toolConfig);
    expect(encoded.generationConfig).toEqual(fixture.generationConfig);
    expect(encoded.tools).toEqual([{ functionDeclarations: withJsonSchema }]);
  });

  it('encodes a plain user turn exactly as the text-stream recording\'s request body', () => {
    const header = readFixture('gemini/streamGenerateContent-text.chunks.jsonc').split('\n').find((line) => line.includes(' body='));
    const recorded = JSON.parse(header!.slice(header!.indexOf(' body=') + 6)) as Record<string, unknown>;
    expect(encodeGeminiRequest(request([user('why is the sky blue?')]))).toEqual(recorded);
  });
});

describe('gemini codec › request › messages', () => {
  it('hoists system and developer messages into systemInstruction and maps roles to user/model', () => {
    const encoded = encodeGeminiRequest(
      request([
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        user('Hi'),
        { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        user('Bye'),
      ]),
    );
    expect(encoded.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }, { text: 'Answer in French.' }] });
    expect(encoded.contents).toEqual([
      { role: 'user', parts: [{ text: 'Hi' }] },
      { role: 'model', parts: [{ text: 'Hello.' }] },
      { role: 'user', parts: [{ text: 'Bye' }] },
    ]);
  });

  it('answers tool calls with functionResponse parts named from the history, in one user turn', () => {
    const encoded = encodeGeminiRequest(
      request([
        user('weather?'),
        {
          role: 'assistant',
          content: [
            { type: 'tool-call', id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { type: 'tool-call', id: 'call_b', name: 'get_time', arguments: '' },
          ],
        },
        { role: 'tool', toolCallId: 'call_a', content: [{ type: 'text', text: '{"temp":21}' }] },
        { role: 'tool', toolCallId: 'call_b', content: [{ type: 'text', text: '14:00' }] },
      ]),
    );
    expect(encoded.contents).toEqual([
      { role: 'user', parts: [{ text: 'weather?' }] },
      {
        role: 'model',
        parts: [
          // no signature in the history (another provider's turn): Google's documented placeholder on the first call
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'skip_thought_signature_validator' },
          { functionCall: { name: 'get_time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { temp: 21 } } },
          { functionResponse: { name: 'get_time', response: { content: '14:00' } } },
        ],
      },
    ]);
  });

  it('wraps tool-call arguments that are not a JSON object instead of dropping them', () => {
    const encoded = encodeGeminiRequest(request([user('x'), { role: 'assistant', content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: '{"broken' }] }]));
    expect((encoded.contents as { parts: unknown[] }[])[1]?.parts[0]).toMatchObject({ functionCall: { name: 'f', args: { _raw_arguments: '{"broken' } } });
  });

  it('refuses a tool message whose tool call is not in the history, naming the field', () => {
    const call = () => encodeGeminiRequest(request([user('x'), { role: 'tool', toolCallId: 'call_gone', content: [{ type: 'text', text: 'ok' }] }]));
    expect(call).toThrow(InvalidRequestError);
    expect(call).toThrow(/call_gone/);
  });

  it('sends data: URL images inline and http(s) images as fileData with a guessed MIME type', () => {
    const encoded = encodeGeminiRequest(
      request([
        {
          role: 'user',
          content: [
            { type: 'text', text: 'compare' },
            { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
            { type: 'image', url: 'https://example.com/cat.webp?size=large' },
            { type: 'image', url: 'https://example.com/photo' },
            { type: 'audio', data: 'UklGRg==', format: 'wav' },
            { type: 'file', data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' },
          ],
        },
      ]),
    );
    expect((encoded.contents as { parts: unknown[] }[])[0]?.parts).toEqual([
      { text: 'compare' },
      { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
      { fileData: { fileUri: 'https://example.com/cat.webp?size=large', mimeType: 'image/webp' } },
      { fileData: { fileUri: 'https://example.com/photo', mimeType: 'image/jpeg' } },
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
    ]);
  });
});

describe('gemini codec › request › tool choice and generation config', () => {
  const tools = [{ name: 'f', parameters: { type: 'object', properties: {} } }];

  it.each([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
    [{ name: 'f' }, { mode: 'ANY', allowedFunctionNames: ['f'] }],
  ] as const)('maps tool choice %j to functionCallingConfig %j', (toolChoice, expected) => {
    expect(encodeGeminiRequest(request([user('x')], { tools, toolChoice })).toolConfig).toEqual({ functionCallingConfig: expected });
  });

  it('maps sampling, stop, seed, n and penalties into generationConfig', () => {
    const encoded = encodeGeminiRequest(
      request([user('x')], { maxOutputTokens: 100, temperature: 0.2, topP: 0.9, stop: ['END'], seed: 7, n: 2, presencePenalty: 0.5, frequencyPenalty: 0.1 }),
    );
    expect(encoded.generationConfig).toEqual({
      maxOutputTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      stopSequences: ['END'],
      seed: 7,
      candidateCount: 2,
      presencePenalty: 0.5,
      frequencyPenalty: 0.1,
    });
  });

  it('maps json_schema to responseMimeType + responseJsonSchema and json_object to the MIME type only', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    expect(encodeGeminiRequest(request([user('x')], { responseFormat: { type: 'json_schema', name: 'a', schema } })).generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: schema,
    });
    expect(encodeGeminiRequest(request([user('x')], { responseFormat: { type: 'json_object' } })).generationConfig).toEqual({ responseMimeType: 'application/json' });
  });

  it.each([
    ['low', 1024],
    ['medium', 8192],
    ['high', 24576],
  ])('maps reasoning effort %s to a thinking budget of %i with thoughts included', (effort, budget) => {
    expect(encodeGeminiRequest(request([user('x')], { reasoningEffort: effort })).generationConfig).toEqual({ thinkingConfig: { thinkingBudget: budget, includeThoughts: true } });
  });

  it('refuses a reasoning effort it has no budget for, listing the accepted ones', () => {
    expect(() => encodeGeminiRequest(request([user('x')], { reasoningEffort: 'extreme' }))).toThrow(/accepted: none, minimal, low, medium, high/);
  });

  it('merges providerOptions.gemini last: new keys verbatim, objects into the encoder\'s own', () => {
    const safetySettings = [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }];
    const encoded = encodeGeminiRequest(
      request([user('x')], { temperature: 1, providerOptions: { gemini: { safetySettings, generationConfig: { topK: 40, temperature: 0.5 } }, openai: { logprobs: true } } }),
    );
    expect(encoded.safetySettings).toEqual(safetySettings);
    expect(encoded.generationConfig).toEqual({ temperature: 0.5, topK: 40 });
    expect(encoded).not.toHaveProperty('logprobs');
  });
});
