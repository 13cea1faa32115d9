import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/start-stack.ts';

const hi = [{ role: 'user' as const, content: 'hi' }];
/** Breakers that never open, so only the budgets limit the tries. */
const noBreaker = { failure_threshold: 100_000, min_requests: 100_000 };

async function failingCalls(stack: Stack, model: string, count: number, headers: Record<string, string> = {}): Promise<void> {
  for (let call = 0; call < count; call++) {
    await stack.openai().chat.completions.create({ model, messages: hi }, { headers }).then(
      () => expect.unreachable('the outage should fail the call'),
      (error: unknown) => {
        expect((error as { status: number }).status).toBe(502);
        expect(Number((error as { headers: Headers }).headers.get('x-gantry-attempts'))).toBeGreaterThanOrEqual(1);
      },
    );
  }
}

const upstreamCount = (stack: Stack, prefix: string) => stack.mock.requests.filter((request) => request.model?.startsWith(prefix)).length;

describe('routing: the gateway-wide retry budget', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      config: {
        models: { down: { targets: ['local/gb-a', 'local/gb-b'], retry: { max_attempts: 4, base_delay_ms: 1, max_delay_ms: 5 } } },
        routing: { retry_budget_ratio: 0.1, retry_budget_minimum: 0, retry_budget_window_ms: 60_000, breaker: noBreaker },
      },
    });
    stack.mock.script('gb-a', [{ status: 503 }]);
    stack.mock.script('gb-b', [{ status: 503 }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('keeps extra tries under retry_budget_ratio of requests during an outage', async () => {
    await failingCalls(stack, 'down', 30);
    // Without the budget: 4 tries each, 120. With it: one try each plus at most 10% extra.
    expect(upstreamCount(stack, 'gb-')).toBeGreaterThanOrEqual(30);
    expect(upstreamCount(stack, 'gb-')).toBeLessThanOrEqual(33);
  });
});

describe('routing: the per-run retry budget', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      config: {
        models: { down: { targets: ['local/rb-a', 'local/rb-b'], retry: { max_attempts: 4, base_delay_ms: 1, max_delay_ms: 5 } } },
        routing: { retry_budget_ratio: 100, run_retry_budget: 3, breaker: noBreaker },
      },
    });
    stack.mock.script('rb-a', [{ status: 503 }]);
    stack.mock.script('rb-b', [{ status: 503 }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('caps the extra tries of a run and its sub-runs at run_retry_budget, while other calls keep theirs', async () => {
    await failingCalls(stack, 'down', 3, { 'x-gantry-run-id': 'budget-run' });
    await failingCalls(stack, 'down', 3, { 'x-gantry-run-id': 'budget-run-child', 'x-gantry-parent-run-id': 'budget-run' });
    // Six calls in one run tree: one try each plus the tree's 3 extra tries.
    expect(upstreamCount(stack, 'rb-')).toBe(9);
    await failingCalls(stack, 'down', 1);
    expect(upstreamCount(stack, 'rb-')).toBe(13);
  });
});
