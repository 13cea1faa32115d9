import { describe, expect, it } from 'vitest';
import { keysOf, readFixture, readJsonc, uniqueModel, useMockProvider } from './wire-test-kit.ts';

const mock = useMockProvider();
const contents = [{ role: 'user', parts: [{ text: 'why is the sky blue?' }] }];

type Candidate = { content: { role: string; parts: Record<string, unknown>[] }; finishReason?: string; index?: number };
type GenerateContentResponse = { candidates: Candidate[]; usageMetadata: Record<string, unknown>; modelVersion: string; responseId: string };

const path = (model: string, method: string): string => `/v1beta/models/${model}:${method}`;

describe('gemini wire: generateContent', () => {
  it('answers functionCall parts without ids, with parsed args, like the recording', async () => {
    const model = uniqueModel('gemini');
    mock.provider.script(model, [{ toolCalls: [{ name: 'print', arguments: '{"color": "blue", "text": "hello"}' }, { name: 'beep', arguments: 'not json' }] }]);
    const { status, body, headers } = await mock.postJson(path(model, 'generateContent'), { contents }, { 'x-goog-api-key': 'gemini-key' });
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    const fixture = readJsonc('gemini/generateContent-response-3-functionCalls.jsonc') as GenerateContentResponse;
    expect(keysOf(body)).toEqual(keysOf(fixture));
    const response = body as unknown as GenerateContentResponse;
    expect(response.candidates[0]).toEqual({
      content: { role: 'model', parts: [{ functionCall: { name: 'print', args: { color: 'blue', text: 'hello' } } }, { functionCall: { name: 'beep', args: {} } }] },
      finishReason: 'STOP',
      index: 0,
    });
    expect(keysOf(response.candidates[0]?.content.parts[0]?.functionCall)).toEqual(keysOf(fixture.candidates[0]?.content.parts[0]?.functionCall));
    expect(response.modelVersion).toBe(model);
    expect(mock.provider.requests.at(-1)).toMatchObject({ model, format: 'gemini', headers: { 'x-goog-api-key': 'gemini-key' } });
  });

  it('answers thoughts as thought:true parts and reports their tokens apart', async () => {
    const model = uniqueModel('gemini-thinking');
    mock.provider.script(model, [{ reasoning: 'Breaking down the sum.', text: 'n(n+1)/2', finishReason: 'length', usage: { input: 17, output: 30, reasoning: 19, cachedInput: 5 } }]);
    const { body } = await mock.postJson(`${path(model, 'generateContent')}?key=query-key`, { contents });
    const response = body as unknown as GenerateContentResponse;
    expect(response.candidates[0]?.content.parts).toEqual([{ text: 'Breaking down the sum.', thought: true }, { text: 'n(n+1)/2' }]);
    expect(response.candidates[0]?.finishReason).toBe('MAX_TOKENS');
    expect(response.usageMetadata).toMatchObject({ promptTokenCount: 17, candidatesTokenCount: 11, thoughtsTokenCount: 19, cachedContentTokenCount: 5, totalTokenCount: 47 });
    expect(mock.provider.requests.at(-1)?.path).toContain('key=query-key');
  });

  it('streams data frames terminated by CRLF CRLF, each repeating usageMetadata, without [DONE]', async () => {
    const model = uniqueModel('gemini-stream');
    mock.provider.script(model, [{ text: 'The sky is blue due to Rayleigh scattering.', chunkSize: 12 }]);
    const { text, frames, headers } = await mock.postSse(`${path(model, 'streamGenerateContent')}?alt=sse`, { contents });
    expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(text.split('\r\n\r\n').filter(Boolean).every((frame) => frame.startsWith('data: {'))).toBe(true);
    expect(text.endsWith('}\r\n\r\n')).toBe(true);
    expect(text).not.toContain('[DONE]');
    const chunks = frames.map((frame) => JSON.parse(frame.data) as GenerateContentResponse);
    const fixture = JSON.parse(readFixture('gemini/streamGenerateContent-text.chunks.jsonc').replace(/^\/\/.*$/gm, '')) as GenerateContentResponse[];
    for (const chunk of chunks) {
      expect(keysOf(chunk)).toEqual(keysOf(fixture[0]));
      expect(chunk.usageMetadata.promptTokenCount).toBe(5);
    }
    expect(keysOf(chunks[0]?.candidates[0])).toEqual(keysOf(fixture[0]?.candidates[0]));
    expect(keysOf(chunks.at(-1)?.candidates[0])).toEqual(keysOf(fixture.at(-1)?.candidates[0]));
    expect(chunks.at(-1)?.candidates[0]?.finishReason).toBe('STOP');
    expect(chunks.at(-1)?.usageMetadata).toMatchObject({ candidatesTokenCount: 11, totalTokenCount: 16 });
    expect(chunks.map((chunk) => chunk.candidates[0]?.content.parts[0]?.text).join('')).toBe('The sky is blue due to Rayleigh scattering.');
  });

  it('streams function calls whole in one final chunk', async () => {
    const model = uniqueModel('gemini-stream-tools');
    mock.provider.script(model, [{ toolCalls: [{ name: 'customDivide', arguments: '{"denominator": 2, "numerator": 100}' }] }]);
    const { frames } = await mock.postSse(`${path(model, 'streamGenerateContent')}?alt=sse`, { contents });
    const fixture = JSON.parse(readFixture('gemini/streamGenerateContent-functionCall.chunks.jsonc').replace(/^\/\/.*$/gm, '')) as GenerateContentResponse[];
    expect(frames).toHaveLength(fixture.length);
    const chunk = JSON.parse(frames[0]?.data ?? '') as GenerateContentResponse;
    expect(chunk.candidates[0]?.content).toEqual(fixture[0]?.candidates[0]?.content);
    expect(chunk.candidates[0]?.finishReason).toBe('STOP');
  });

  it('sends the recorded bare error object mid-stream', async () => {
    const model = uniqueModel('gemini-stream-error');
    mock.provider.script(model, [{ text: 'abcdefgh', chunkSize: 4, errorEventAfterChunks: 1 }]);
    const response = await mock.post(`${path(model, 'streamGenerateContent')}?alt=sse`, { contents });
    const text = await response.text();
    const errorPayload = readFixture('gemini/error-500-INTERNAL-in-stream.txt').split('\n').filter((line) => line.startsWith('{'))[0] ?? '';
    expect(text.startsWith('data: {')).toBe(true);
    expect(text.endsWith(`\r\n\r\n${errorPayload}`)).toBe(true);
  });

  it('asks for ?alt=sse on streaming calls', async () => {
    const { status, body } = await mock.postJson(path(uniqueModel('gemini-no-sse'), 'streamGenerateContent'), { contents });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });
});

describe('gemini wire: errors, countTokens and embeddings', () => {
  it('answers scripted statuses in the google.rpc shape', async () => {
    const model = uniqueModel('gemini-errors');
    mock.provider.script(model, [{ status: 429 }, { status: 503 }, { status: 500 }]);
    const statuses: unknown[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const { status, body } = await mock.postJson(path(model, 'generateContent'), { contents });
      expect(keysOf(body.error)).toEqual(['code', 'message', 'status']);
      statuses.push([status, (body.error as { status: string }).status]);
    }
    expect(statuses).toEqual([[429, 'RESOURCE_EXHAUSTED'], [503, 'UNAVAILABLE'], [500, 'INTERNAL']]);
  });

  it('rejects a body that is not JSON with INVALID_ARGUMENT', async () => {
    const { status, body } = await mock.postJson(path('gemini-2.0-flash', 'generateContent'), '{');
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });

  it('counts tokens of contents or of a whole generateContentRequest', async () => {
    const direct = await mock.postJson(path('gemini-2.0-flash', 'countTokens'), { contents });
    const wrapped = await mock.postJson(path('gemini-2.0-flash', 'countTokens'), { generateContentRequest: { model: 'models/gemini-2.0-flash', contents } });
    expect(direct.body.totalTokens).toBe(5);
    expect(wrapped.body.totalTokens).toBe(5);
  });

  it('embeds content deterministically with the requested dimensionality', async () => {
    const request = { content: { parts: [{ text: 'hello world' }] }, outputDimensionality: 12 };
    const first = await mock.postJson(path('text-embedding-004', 'embedContent'), request);
    const second = await mock.postJson(path('text-embedding-004', 'embedContent'), request);
    const values = (first.body.embedding as { values: number[] }).values;
    expect(values).toHaveLength(12);
    expect(second.body).toEqual(first.body);
  });
});
