import { describe, expect, it } from 'vitest';
import { ProviderHttpError, ProviderTimeoutError, ProviderUnreachableError } from '@gantry/spec';
import { classifyFailure } from '../src/classify-failure.ts';
import { LatencyTracker } from '../src/latency-tracker.ts';
import { orderTargets } from '../src/order-targets.ts';
import type { Target } from '../src/target.ts';

const http = (status: number, body: unknown = null, message = 'failed') => new ProviderHttpError('p', status, message, body);

describe('classifying failures', () => {
  it('moves on for connection errors, timeouts, 429, 5xx and 529', () => {
    expect(classifyFailure(new ProviderUnreachableError('p', 'refused'))).toBe('connection');
    expect(classifyFailure(new ProviderTimeoutError('p', 'slow'))).toBe('timeout');
    expect(classifyFailure(http(429))).toBe('429');
    expect(classifyFailure(http(503))).toBe('5xx');
    expect(classifyFailure(http(529))).toBe('529');
  });

  it('tells context-window and content-policy errors from other request errors', () => {
    expect(classifyFailure(http(400, { error: { code: 'context_length_exceeded' } }))).toBe('context-window');
    expect(classifyFailure(http(400, { type: 'error', error: { type: 'invalid_request_error' } }, 'prompt is too long: 210000 tokens'))).toBe('context-window');
    expect(classifyFailure(http(400, { error: { code: 'content_filter' } }))).toBe('content-policy');
    expect(classifyFailure(http(400, { error: { code: 'invalid_value' } }))).toBe('request');
    expect(classifyFailure(http(401))).toBe('request');
  });
});

describe('ordering targets', () => {
  const target = (id: string, weight?: number) => ({ id, model: id, provider: {} as Target['provider'], ...(weight === undefined ? {} : { weight }) }) as Target;

  it('draws the weighted first pick in proportion to the weights, the rest following', () => {
    const targets = [target('a', 3), target('b', 1)];
    expect(orderTargets(targets, 'weighted', new LatencyTracker(), () => 0.7).map((entry) => entry.id)).toEqual(['a', 'b']);
    expect(orderTargets(targets, 'weighted', new LatencyTracker(), () => 0.8).map((entry) => entry.id)).toEqual(['b', 'a']);
  });

  it('puts unmeasured targets first, then the fastest', () => {
    const latency = new LatencyTracker();
    latency.record('a', 300);
    latency.record('b', 20);
    expect(orderTargets([target('a'), target('b'), target('c')], 'least-latency', latency).map((entry) => entry.id)).toEqual(['c', 'b', 'a']);
  });
});
