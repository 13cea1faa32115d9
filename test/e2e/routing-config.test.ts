import { describe, expect, it } from 'vitest';
import { loadConfig } from '@gantry/gateway';

const providers = { local: { type: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1' } };

function startError(models: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  try {
    loadConfig({ file: { providers, models, ...extra }, env: {} });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('routing config', () => {
  it('rejects an unknown provider in targets, naming the path and the configured providers', () => {
    const message = startError({ fast: { targets: ['local/a', { target: 'nope/b' }] } });
    expect(message).toContain('models.fast.targets[1].target');
    expect(message).toContain("unknown provider 'nope'");
    expect(message).toContain('configured providers: local');
  });

  it('rejects an unknown provider in context_window_fallback and content_policy_fallback', () => {
    expect(startError({ fast: { targets: ['local/a'], context_window_fallback: 'gone/big' } })).toContain('models.fast.context_window_fallback');
    expect(startError({ fast: { targets: ['local/a'], content_policy_fallback: 'gone/ok' } })).toContain('models.fast.content_policy_fallback');
  });

  it('rejects aliases that point at aliases, so no cycle can exist', () => {
    const message = startError({ first: { targets: ['second'] }, second: { targets: ['first'] } });
    expect(message).toContain('models.first.targets[0]');
    expect(message).toContain("'second' is an alias");
    expect(message).toContain('models.second.targets[0]');
  });

  it('rejects weights that are not positive', () => {
    for (const weight of [0, -2]) {
      const message = startError({ fast: { strategy: 'weighted', targets: [{ target: 'local/a', weight }] } });
      expect(message).toContain('models.fast.targets[0].weight');
      expect(message).toContain('must be a positive number');
    }
  });

  it('rejects an unknown strategy with the accepted values', () => {
    const message = startError({ fast: { strategy: 'round-robin', targets: ['local/a'] } });
    expect(message).toContain('models.fast.strategy');
    expect(message).toContain('accepted: fallback, weighted, least-latency');
  });

  it('rejects unknown fallback_on conditions and sticky modes with the accepted values', () => {
    expect(startError({ fast: { targets: ['local/a'], fallback_on: ['4xx'] } })).toContain('accepted: connection, timeout, 429, 5xx, 529');
    expect(startError({ fast: { targets: ['local/a'], sticky: 'forever' } })).toContain('accepted: run, none');
  });

  it('reads targets, strategy, retry and routing settings', () => {
    const config = loadConfig({
      file: {
        providers,
        models: { fast: { strategy: 'weighted', targets: ['local/a', { target: 'local/b', weight: 2, timeout_ms: 1000, first_token_timeout_ms: 200 }], retry: { max_attempts: 3 }, sticky: 'none' } },
        routing: { retry_budget_ratio: 0.1, breaker: { failure_threshold: 2 } },
      },
      env: {},
    });
    expect(config.aliases.fast).toEqual({
      strategy: 'weighted',
      targets: ['local/a', { ref: 'local/b', weight: 2, timeoutMs: 1000, firstTokenTimeoutMs: 200 }],
      retry: { maxAttempts: 3 },
      sticky: 'none',
    });
    expect(config.routing.retryBudgetRatio).toBe(0.1);
    expect(config.routing.breaker.failureThreshold).toBe(2);
    expect(config.routing.breaker.openMs).toBe(5_000);
  });
});
