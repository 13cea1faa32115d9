import type { ChatResult } from '@gantry/spec';

/**
 * Hand-built results that exercise every part of the stream vocabulary, each one a shape
 * `ChatResultBuilder` can produce (no adjacent parts of one type), so an unfold must fold back exactly.
 */

/** Text, then three parallel tool calls: valid JSON, truncated JSON, and no arguments at all. */
export const PARALLEL_TOOL_CALLS: ChatResult = {
  id: 'chatcmpl-parallel',
  model: 'gpt-4o-2024-08-06',
  created: 1727346178,
  systemFingerprint: 'fp_5050236cbd',
  serviceTier: 'default',
  choices: [
    {
      index: 0,
      content: [
        { type: 'text', text: 'Checking both.' },
        { type: 'tool-call', id: 'call_weather', name: 'get_weather', arguments: '{"city": "Edinburgh", "units": "c"}' },
        { type: 'tool-call', id: 'call_stock', name: 'get_stock_price', arguments: '{"ticker": "AA' },
        { type: 'tool-call', id: 'call_time', name: 'get_time', arguments: '' },
      ],
      finishReason: 'tool-calls',
      rawFinishReason: 'tool_calls',
    },
  ],
  usage: { inputTokens: 149, outputTokens: 60, cachedInputTokens: 128, reasoningTokens: 12 },
};

/** n=3: a tool call in choice 0, reasoning and two calls in choice 1, nothing in choice 2. */
export const N_CHOICES: ChatResult = {
  id: 'chatcmpl-n3',
  model: 'gpt-4o-mini',
  created: 1727346200,
  choices: [
    {
      index: 0,
      content: [
        { type: 'text', text: 'One call.' },
        { type: 'tool-call', id: 'call_a', name: 'lookup', arguments: '{"q": "a"}' },
      ],
      finishReason: 'tool-calls',
      rawFinishReason: 'tool_calls',
    },
    {
      index: 1,
      content: [
        { type: 'reasoning', text: 'Two lookups are needed.' },
        { type: 'text', text: 'Two calls.' },
        { type: 'tool-call', id: 'call_b', name: 'lookup', arguments: '{"q": "b"}' },
        { type: 'tool-call', id: 'call_c', name: 'lookup', arguments: '{"q": "c"}' },
      ],
      finishReason: 'tool-calls',
      rawFinishReason: 'tool_calls',
    },
    { index: 2, content: [], finishReason: 'length', rawFinishReason: 'length' },
  ],
  usage: { inputTokens: 40, outputTokens: 90, cachedInputTokens: 0, reasoningTokens: 7 },
};

/**
 * Anthropic- and Gemini-style reasoning: a signed thought, redacted thinking with no text, a
 * signature-only carrier (Gemini's signature on a function call), and one part with both.
 */
export const REASONING: ChatResult = {
  id: 'msg_reasoning',
  model: 'claude-sonnet-4-20250514',
  created: 1750000000,
  choices: [
    {
      index: 0,
      content: [
        { type: 'reasoning', text: 'The user wants the weather.', signature: 'c2lnbmF0dXJlLTE=' },
        { type: 'text', text: 'Let me look.' },
        { type: 'reasoning', text: '', redactedData: 'EmwKAhgBEgy3va3pzix' },
        { type: 'tool-call', id: 'toolu_01', name: 'get_weather', arguments: '{"location": "Paris"}' },
        { type: 'reasoning', text: '', signature: 'gemini-thought-signature' },
        { type: 'text', text: 'It is sunny.' },
        { type: 'reasoning', text: 'Wrapping up.', signature: 'c2lnbmF0dXJlLTI=', redactedData: 'RW5jcnlwdGVk' },
      ],
      finishReason: 'stop',
      rawFinishReason: 'end_turn',
    },
  ],
  usage: { inputTokens: 377, outputTokens: 65, cachedInputTokens: 300, cacheWriteInputTokens: 50, reasoningTokens: 40 },
};

/** A refusal alone, and a refusal between text parts (the last one empty) in a second choice. */
export const REFUSAL: ChatResult = {
  id: 'chatcmpl-refusal',
  model: 'gpt-4o-2024-08-06',
  created: 1727346300,
  systemFingerprint: 'fp_refusal',
  choices: [
    { index: 0, content: [{ type: 'refusal', text: "I'm sorry, I can't help with that." }], finishReason: 'content-filter', rawFinishReason: 'content_filter' },
    {
      index: 1,
      content: [
        { type: 'text', text: 'Here is the first part.' },
        { type: 'refusal', text: 'I cannot do the second.' },
        { type: 'text', text: '' },
      ],
      finishReason: 'stop',
      rawFinishReason: 'stop',
    },
  ],
  usage: { inputTokens: 20, outputTokens: 15 },
};

function tokenLogprob(token: string, logprob: number): Record<string, unknown> {
  return { token, logprob, bytes: [...Buffer.from(token, 'utf8')], top_logprobs: [] };
}

/** Log-probabilities as a stream folds them: one entry per chunk, text split over two parts. */
export const LOGPROBS: ChatResult = {
  id: 'chatcmpl-logprobs',
  model: 'gpt-4o-mini',
  created: 1727346400,
  choices: [
    {
      index: 0,
      content: [
        { type: 'text', text: 'Hello' },
        { type: 'tool-call', id: 'call_greet', name: 'greet', arguments: '{}' },
        { type: 'text', text: ' again' },
      ],
      finishReason: 'tool-calls',
      rawFinishReason: 'tool_calls',
      logprobs: [
        { content: [tokenLogprob('Hel', -0.01)], refusal: null },
        { content: [tokenLogprob('lo', -0.2)], refusal: null },
        { content: [tokenLogprob(' again', -1.5)], refusal: null },
      ],
    },
  ],
  usage: { inputTokens: 9, outputTokens: 4 },
};
