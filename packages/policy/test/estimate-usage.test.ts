import { describe, expect, it } from 'vitest';
import type { ChatRequest, ChatResult } from '@gantry/spec';
import { estimateUsage } from '../src/index.ts';

const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: true } as ChatRequest;

function result(content: ChatResult['choices'][number]['content']): ChatResult {
  return { id: 'r', model: 'm', created: 0, choices: [{ index: 0, content, finishReason: 'stop' }] };
}

describe('estimateUsage', () => {
  // Counted by hand with o200k: `hi` 1 token (+ 3 priming + 4 framing), `four words of answer` 4,
  // `get_weather` 2, `{"city":"Paris"}` 5, `let me think` 3.
  it('counts the prompt and every output part: text, tool calls (with framing) and reasoning', () => {
    expect(estimateUsage(request, result([{ type: 'text', text: 'four words of answer' }]))).toEqual({ inputTokens: 8, outputTokens: 4 });
    expect(estimateUsage(request, result([{ type: 'tool-call', id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }]))).toEqual({ inputTokens: 8, outputTokens: 2 + 5 + 8 });
    expect(estimateUsage(request, result([{ type: 'reasoning', text: 'let me think' }, { type: 'text', text: 'four words of answer' }]))).toEqual({ inputTokens: 8, outputTokens: 7, reasoningTokens: 3 });
  });

  it('counts an answer cut before any output as its prompt alone', () => {
    expect(estimateUsage(request, result([]))).toEqual({ inputTokens: 8, outputTokens: 0 });
  });
});
