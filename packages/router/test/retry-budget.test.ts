import { describe, expect, it } from 'vitest';
import { backoffDelayMs, retryAfterMs } from '../src/backoff.ts';
import { RetryBudget } from '../src/retry-budget.ts';
import { ProviderHttpError } from '@gantry/spec';

describe('retry budget', () => {
  it('allows extra tries up to the ratio of recent requests, and frees them as the window moves', () => {
    const budget = new RetryBudget({ retryBudgetRatio: 0.2, retryBudgetWindowMs: 10_000, retryBudgetMinimum: 0, runRetryBudget: 100 });
    for (let request = 0; request < 10; request++) budget.noteRequest(0);
    expect(budget.tryTake(undefined, 0)).toBe(true);
    expect(budget.tryTake(undefined, 0)).toBe(true);
    expect(budget.tryTake(undefined, 0)).toBe(false);
    for (let request = 0; request < 10; request++) budget.noteRequest(20_000);
    expect(budget.tryTake(undefined, 20_000)).toBe(true);
  });

  it('caps the extra tries of one run tree', () => {
    const budget = new RetryBudget({ retryBudgetRatio: 1, retryBudgetWindowMs: 10_000, retryBudgetMinimum: 100, runRetryBudget: 2 });
    expect(budget.tryTake('root', 0)).toBe(true);
    expect(budget.tryTake('root', 0)).toBe(true);
    expect(budget.tryTake('root', 0)).toBe(false);
    expect(budget.tryTake('other', 0)).toBe(true);
  });
});

describe('backoff', () => {
  it('uses full jitter under an exponential cap', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelayMs(0, options, undefined, () => 0.5)).toBe(50);
    expect(backoffDelayMs(3, options, undefined, () => 1)).toBe(800);
    expect(backoffDelayMs(10, options, undefined, () => 1)).toBe(1_000);
  });

  it('never waits less than Retry-After asks', () => {
    expect(backoffDelayMs(0, { baseDelayMs: 100, maxDelayMs: 1_000 }, 2_000, () => 0)).toBe(2_000);
  });

  it('reads retry-after-ms, retry-after seconds and HTTP dates', () => {
    const error = (headers: Record<string, string>) => new ProviderHttpError('p', 429, 'slow down', null, { headers });
    expect(retryAfterMs(error({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(error({ 'retry-after': '2' }))).toBe(2_000);
    expect(retryAfterMs(error({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6_000);
    expect(retryAfterMs(error({}))).toBeUndefined();
  });
});
