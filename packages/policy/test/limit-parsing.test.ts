import { describe, expect, it } from 'vitest';
import { InvalidRequestError, type ChatRequest } from '@gantry/spec';
import { countEmbeddingTokens, countPromptTokens, parseUsdMicros, periodEnd, periodStart, readRunLimitHeaders } from '../src/index.ts';

describe('prompt token counting', () => {
  const request = (text: string): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text }] }], stream: false, includeUsage: false });

  it('counts text with the o200k tokenizer plus per-message framing', () => {
    expect(countPromptTokens(request('hi'))).toBe(8);
    // "Hello, world!" is 4 o200k tokens.
    expect(countPromptTokens(request('Hello, world!'))).toBe(11);
  });

  it('grows with tools and tool-call arguments', () => {
    const withTools = { ...request('hi'), tools: [{ name: 'search', description: 'search the web', parameters: { type: 'object' } }] } as ChatRequest;
    expect(countPromptTokens(withTools)).toBeGreaterThan(countPromptTokens(request('hi')) + 5);
  });

  it('counts embedding inputs, token arrays as given', () => {
    expect(countEmbeddingTokens({ model: 'm', input: ['Hello, world!', 'hi'] })).toBe(5);
    expect(countEmbeddingTokens({ model: 'm', input: [[1, 2, 3]] })).toBe(3);
  });
});

describe('run limit headers', () => {
  it('reads USD exactly as micro-dollars', () => {
    expect(parseUsdMicros('2.5')).toBe(2_500_000);
    expect(parseUsdMicros('0.000001')).toBe(1);
    expect(parseUsdMicros('0.1')).toBe(100_000);
    expect(parseUsdMicros('-1')).toBeUndefined();
    expect(parseUsdMicros('1e3')).toBeUndefined();
  });

  it('names the header of a malformed value', () => {
    expect(readRunLimitHeaders({})).toBeUndefined();
    expect(readRunLimitHeaders({ 'x-gantry-run-budget-usd': '1.25', 'x-gantry-run-max-calls': '10' })).toEqual({ maxCostMicros: 1_250_000, maxCalls: 10 });
    for (const [name, value] of [['x-gantry-run-budget-usd', 'ten'], ['x-gantry-run-max-calls', '-2'], ['x-gantry-run-max-calls', '1.5']] as const) {
      const error = (() => {
        try {
          readRunLimitHeaders({ [name]: value });
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as InvalidRequestError).param).toBe(name);
    }
  });
});

describe('budget periods (UTC)', () => {
  const at = new Date('2026-11-25T15:30:00Z'); // a Wednesday
  it('starts days at midnight, weeks on Monday, months on the 1st, total at the epoch', () => {
    expect(periodStart('day', at).toISOString()).toBe('2026-11-25T00:00:00.000Z');
    expect(periodStart('week', at).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(periodStart('week', new Date('2026-11-29T23:59:59Z')).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(periodStart('month', at).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(periodStart('total', at).getTime()).toBe(0);
  });
  it('ends each period where the next begins', () => {
    expect(periodEnd('day', at)?.toISOString()).toBe('2026-11-26T00:00:00.000Z');
    expect(periodEnd('week', at)?.toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(periodEnd('month', new Date('2026-12-31T23:00:00Z'))?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(periodEnd('total', at)).toBeUndefined();
  });
});
