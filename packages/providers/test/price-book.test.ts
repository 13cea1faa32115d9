import { describe, expect, it } from 'vitest';
import { BUILT_IN_PRICES, computeCostMicros, PriceBook } from '../src/index.ts';

describe('computeCostMicros', () => {
  it('charges one million input tokens at $0.15 as exactly 150000 micro-dollars', () => {
    expect(computeCostMicros({ inputTokens: 1_000_000, outputTokens: 0 }, { input: 0.15, output: 0.6 })).toBe(150_000);
  });

  it('adds output tokens at the output rate', () => {
    // 1000 × $0.15 + 2000 × $0.60 per million = 150 + 1200 micro-dollars
    expect(computeCostMicros({ inputTokens: 1000, outputTokens: 2000 }, { input: 0.15, output: 0.6 })).toBe(1350);
  });

  it('bills cached and cache-write input tokens at their own rates and the rest at the input rate', () => {
    const price = { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 };
    // uncached 4000 × 3 = 12000; cached 4000 × 0.3 = 1200; written 2000 × 3.75 = 7500; output 1000 × 15 = 15000
    const usage = { inputTokens: 10_000, cachedInputTokens: 4000, cacheWriteInputTokens: 2000, outputTokens: 1000 };
    expect(computeCostMicros(usage, price)).toBe(35_700);
  });

  it('bills cached and cache-write tokens at the input rate when the price has no rate for them', () => {
    const usage = { inputTokens: 1000, cachedInputTokens: 300, cacheWriteInputTokens: 200, outputTokens: 0 };
    expect(computeCostMicros(usage, { input: 2, output: 8 })).toBe(2000);
  });

  it('rounds a fractional price with an odd token count once, to the nearest micro-dollar', () => {
    // 333 × $0.075 per million = 24.975 micro-dollars
    expect(computeCostMicros({ inputTokens: 333, outputTokens: 0 }, { input: 0.075, output: 0.3 })).toBe(25);
    // 7 × $0.0375 per million = 0.2625 micro-dollars
    expect(computeCostMicros({ inputTokens: 7, outputTokens: 0 }, { input: 0.0375, output: 0 })).toBe(0);
  });

  it('rounds the sum, not each part', () => {
    // three parts of 0.3 micro-dollars each: 0.9 rounds to 1, while rounding each part would give 0
    const usage = { inputTokens: 2, cachedInputTokens: 1, outputTokens: 1 };
    expect(computeCostMicros(usage, { input: 0.3, cachedInput: 0.3, output: 0.3 })).toBe(1);
  });

  it('is exact where binary floating point is not', () => {
    // 50 × 1.15 is 57.49999999999999 in floating point; the exact 57.5 micro-dollars rounds to 58
    expect(50 * 1.15).toBeLessThan(57.5);
    expect(computeCostMicros({ inputTokens: 50, outputTokens: 0 }, { input: 1.15, output: 0 })).toBe(58);
    expect(computeCostMicros({ inputTokens: 0, outputTokens: 90 }, { input: 0, output: 0.35 })).toBe(32);
  });

  it('never bills a negative uncached count when cached tokens exceed the reported input', () => {
    const usage = { inputTokens: 100, cachedInputTokens: 150, outputTokens: 0 };
    expect(computeCostMicros(usage, { input: 1, cachedInput: 0.5, output: 1 })).toBe(75);
  });
});

describe('PriceBook', () => {
  it('prices a dated snapshot by its longest matching base name', () => {
    const prices = new PriceBook();
    expect(prices.lookup('openai', 'openai', 'gpt-4o-mini-2024-07-18')).toEqual(BUILT_IN_PRICES.openai['gpt-4o-mini']);
    expect(prices.lookup('openai', 'openai', 'gpt-4o-mini-2024-07-18')).not.toEqual(BUILT_IN_PRICES.openai['gpt-4o']);
    expect(prices.lookup('openai', 'openai', 'gpt-4o-2024-08-06')).toEqual(BUILT_IN_PRICES.openai['gpt-4o']);
  });

  it('prices an exact built-in model name', () => {
    expect(new PriceBook().lookup('openai', 'openai', 'o3')).toEqual(BUILT_IN_PRICES.openai.o3);
  });

  it('does not take a model whose name merely starts with a known name without a dash', () => {
    expect(new PriceBook().lookup('openai', 'openai', 'o3x')).toBeUndefined();
  });

  it('uses the provider name from config, whatever the provider is called', () => {
    expect(new PriceBook().lookup('work-openai', 'openai', 'gpt-4.1-nano')).toEqual(BUILT_IN_PRICES.openai['gpt-4.1-nano']);
  });

  it('lets a configured price override the built-in one', () => {
    const configured = { input: 1, output: 2 };
    const prices = new PriceBook({ 'openai/gpt-4o-mini': configured });
    expect(prices.lookup('openai', 'openai', 'gpt-4o-mini')).toEqual(configured);
    // another provider of the same type keeps the built-in price
    expect(prices.lookup('backup', 'openai', 'gpt-4o-mini')).toEqual(BUILT_IN_PRICES.openai['gpt-4o-mini']);
  });

  it('has no price for an unconfigured self-hosted model', () => {
    const prices = new PriceBook({ 'local/priced': { input: 1, output: 1 } });
    expect(prices.lookup('local', 'openai-compatible', 'llama3')).toBeUndefined();
    // a self-hosted server serving a model with an OpenAI name is not billed at OpenAI's prices
    expect(prices.lookup('local', 'openai-compatible', 'gpt-4o')).toBeUndefined();
    expect(prices.lookup('local', 'openai-compatible', 'priced')).toEqual({ input: 1, output: 1 });
  });

  it('answers the same price on repeated lookups', () => {
    const prices = new PriceBook();
    const first = prices.lookup('openai', 'openai', 'gpt-5-mini-2025-08-07');
    expect(first).toEqual(BUILT_IN_PRICES.openai['gpt-5-mini']);
    expect(prices.lookup('openai', 'openai', 'gpt-5-mini-2025-08-07')).toBe(first);
    expect(prices.lookup('local', 'openai-compatible', 'unknown')).toBeUndefined();
    expect(prices.lookup('local', 'openai-compatible', 'unknown')).toBeUndefined();
  });
});
