import { describe, expect, it } from 'vitest';
import { readStoredRequest, readStoredResult, storeChatRequest, storeChatResult, storeEmbeddingRequest, type ChatRequest, type ChatResult } from '../src/index.ts';

const chat: ChatRequest = { model: 'fast', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false };
const result: ChatResult = { id: 'chatcmpl-1', model: 'gpt', created: 1, choices: [{ index: 0, content: [{ type: 'text', text: 'hello' }], finishReason: 'stop' }], usage: { inputTokens: 3, outputTokens: 1 } };

describe('stored calls', () => {
  it('stores a chat request as the canonical request plus its type and version', () => {
    expect(storeChatRequest(chat)).toEqual({ type: 'chat', version: 1, ...chat });
  });

  it('reads what every version wrote as the current version', () => {
    // Version 0: spans written before versioning hold the bare canonical value.
    expect(readStoredRequest(chat)).toEqual(storeChatRequest(chat));
    expect(readStoredRequest({ model: 'embed', input: ['a', 'b'] })).toEqual(storeEmbeddingRequest({ model: 'embed', input: ['a', 'b'] }));
    expect(readStoredResult(result)).toEqual(storeChatResult(result));
    expect(readStoredResult({ model: 'embed', count: 2, usage: { inputTokens: 4 } })).toEqual({ type: 'embeddings', version: 1, model: 'embed', count: 2, usage: { inputTokens: 4 } });
    // Version 1 round-trips through JSON unchanged.
    expect(readStoredRequest(JSON.parse(JSON.stringify(storeChatRequest(chat))))).toEqual(storeChatRequest(chat));
    expect(readStoredResult(JSON.parse(JSON.stringify(storeChatResult(result))))).toEqual(storeChatResult(result));
  });

  it('refuses what no version wrote, naming the versions it reads', () => {
    expect(() => readStoredRequest({ name: 'lookup', arguments: '{}' })).toThrow(/reads versions 0 to 1/);
    expect(() => readStoredRequest({ ...storeChatRequest(chat), version: 2 })).toThrow(/version 2/);
    expect(() => readStoredResult('text')).toThrow(/stored result/);
  });
});
