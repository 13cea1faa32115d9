import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, chatCall } from '../support/budget-helpers.ts';
import { startStack, type Stack } from '../support/start-stack.ts';

const MODEL = 'local/rate-model';

/** Rate windows are whole UTC minutes: start a window-sensitive check well inside one. */
async function awayFromMinuteEdge(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 8_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

interface ErrorBody {
  error: { message: string; code: string | null; type: string };
}

describe('rate limits and parallel requests (one gateway)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    stack.mock.script('rate-model', [{ text: 'ok', usage: { input: 8, output: 3 } }]);
    stack.mock.script('slow-model', [{ text: 'slow', latencyMs: 600 }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const createKey = async (body: Record<string, unknown>) => (await adminCall<{ id: string; key: string }>(stack.url, 'POST', '/admin/keys', { name: 'rate', ...body })).json;

  it('answers 429 with retry-after and x-ratelimit headers past a key rpm', async () => {
    const key = await createKey({ limits: { rpm: 3 } });
    await awayFromMinuteEdge();
    for (let call = 0; call < 3; call++) expect((await chatCall(stack.url, key.key, MODEL)).status).toBe(200);
    const limited = await chatCall(stack.url, key.key, MODEL);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset-requests')).toBe(`${retryAfter}s`);
    const body = (await limited.json()) as ErrorBody;
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(new RegExp(`rate limit of key '${key.id}' reached: 3 requests per minute; retry after \\d+s`));
  });

  it('shares a team tpm across the team keys and reports the token headers', async () => {
    const team = (await adminCall<{ id: string }>(stack.url, 'POST', '/admin/teams', { name: `rate-team-${Math.random()}`, limits: { tpm: 30 } })).json;
    const first = await createKey({ team_id: team.id });
    const second = await createKey({ team_id: team.id });
    await awayFromMinuteEdge();
    // Each call reserves 8 prompt + 3 max output tokens = 11: two fit in 30, the third does not.
    expect((await chatCall(stack.url, first.key, MODEL)).status).toBe(200);
    expect((await chatCall(stack.url, second.key, MODEL)).status).toBe(200);
    await stack.gateway.services.budgets.drain();
    const limited = await chatCall(stack.url, first.key, MODEL);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-limit-tokens')).toBe('30');
    expect(limited.headers.get('x-ratelimit-remaining-tokens')).toBe('8');
    expect(((await limited.json()) as ErrorBody).error.message).toMatch(/rate limit of team '.*' reached: 30 tokens per minute \(this call needs up to 11\)/);
  });

  it('refuses a request beyond max_parallel while the others are in flight, then accepts again', async () => {
    const key = await createKey({ limits: { max_parallel: 2 } });
    const results = await Promise.all(Array.from({ length: 4 }, () => chatCall(stack.url, key.key, 'local/slow-model')));
    expect(results.map((response) => response.status).sort()).toEqual([200, 200, 429, 429]);
    const limited = results.find((response) => response.status === 429)!;
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as ErrorBody).error.message).toMatch(/already has 2 requests in flight/);
    await stack.gateway.services.budgets.drain();
    expect((await chatCall(stack.url, key.key, 'local/slow-model')).status).toBe(200);
  });
});
