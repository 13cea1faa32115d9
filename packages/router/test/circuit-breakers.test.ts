import { describe, expect, it } from 'vitest';
import { CircuitBreakers } from '../src/circuit-breakers.ts';

const options = { failureThreshold: 3, errorRate: 0.5, windowMs: 10_000, minRequests: 10, openMs: 1_000 };

describe('circuit breakers', () => {
  it('opens after consecutive failures and skips the target until open_ms passed', () => {
    const breakers = new CircuitBreakers(options);
    for (let failure = 0; failure < 3; failure++) {
      expect(breakers.tryAcquire('p/m', 0)).toBe(true);
      breakers.onFailure('p/m', 'HTTP 503', 0);
    }
    expect(breakers.tryAcquire('p/m', 500)).toBe(false);
    expect(breakers.snapshot(500)[0]).toMatchObject({ state: 'open', consecutiveFailures: 3, openedTimes: 1 });
  });

  it('lets exactly one half-open probe through; its success closes the breaker', () => {
    const breakers = new CircuitBreakers(options);
    for (let failure = 0; failure < 3; failure++) breakers.onFailure('p/m', 'x', 0);
    expect(breakers.tryAcquire('p/m', 1_000)).toBe(true);
    expect(breakers.tryAcquire('p/m', 1_001)).toBe(false);
    breakers.onSuccess('p/m', 1_002);
    expect(breakers.tryAcquire('p/m', 1_003)).toBe(true);
    expect(breakers.snapshot(1_003)[0]?.state).toBe('closed');
  });

  it('re-opens when the probe fails', () => {
    const breakers = new CircuitBreakers(options);
    for (let failure = 0; failure < 3; failure++) breakers.onFailure('p/m', 'x', 0);
    expect(breakers.tryAcquire('p/m', 1_000)).toBe(true);
    breakers.onFailure('p/m', 'x', 1_000);
    expect(breakers.tryAcquire('p/m', 1_500)).toBe(false);
    expect(breakers.snapshot(1_500)[0]).toMatchObject({ state: 'open', openedTimes: 2 });
  });

  it('opens on the error rate over the window without consecutive failures', () => {
    const breakers = new CircuitBreakers({ ...options, failureThreshold: 100 });
    for (let call = 0; call < 10; call++) {
      if (call % 2 === 1) breakers.onFailure('p/m', 'x', call);
      else breakers.onSuccess('p/m', call);
    }
    expect(breakers.tryAcquire('p/m', 20)).toBe(false);
  });
});
