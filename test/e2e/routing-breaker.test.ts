import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../mock-provider/index.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

const hi = [{ role: 'user' as const, content: 'hi' }];

interface TargetsView {
  data: { target: string; state: string; consecutive_failures: number; opened_times: number }[];
  retry_budget: { window_requests: number };
  aliases: Record<string, { strategy: string; targets: string[] }>;
}

describe('routing: circuit breakers', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      config: {
        models: { guarded: { targets: ['local/br-primary', 'local/br-backup'] }, lonely: { targets: ['local/br-only'] } },
        routing: { breaker: { failure_threshold: 3, open_ms: 1_000 } },
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const requestsTo = (model: string): RecordedRequest[] => stack.mock.requests.filter((request) => request.model === model);

  async function targets(): Promise<TargetsView> {
    const response = await fetch(`${stack.url}/admin/targets`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as TargetsView;
  }
  const stateOf = async (target: string) => (await targets()).data.find((entry) => entry.target === target)?.state;

  async function ask(model: string) {
    const { data, response } = await stack.openai().chat.completions.create({ model, messages: hi }).withResponse();
    return { text: data.choices[0]?.message.content, target: response.headers.get('x-gantry-target'), attempts: response.headers.get('x-gantry-attempts') };
  }

  it('opens after consecutive failures, skips the target while open, and closes after a successful half-open probe', async () => {
    stack.mock.script('br-primary', [{ status: 503 }]);
    stack.mock.script('br-backup', [{ text: 'backup' }]);
    expect(await stateOf('local/br-primary')).toBe('closed');
    for (let call = 0; call < 3; call++) expect((await ask('guarded')).target).toBe('local/br-backup');
    expect(requestsTo('br-primary')).toHaveLength(3);
    expect(await stateOf('local/br-primary')).toBe('open');

    // Open: the primary is not even tried.
    for (let call = 0; call < 5; call++) expect(await ask('guarded')).toMatchObject({ target: 'local/br-backup', attempts: '1' });
    expect(requestsTo('br-primary')).toHaveLength(3);

    // After open_ms one probe goes through; it succeeds and the breaker closes.
    stack.mock.script('br-primary', [{ text: 'primary is back' }]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await ask('guarded')).toMatchObject({ target: 'local/br-primary', text: 'primary is back' });
    expect(await stateOf('local/br-primary')).toBe('closed');
    expect((await ask('guarded')).target).toBe('local/br-primary');
  });

  it('re-opens when the half-open probe fails', async () => {
    stack.mock.script('br-primary', [{ status: 500 }]);
    for (let call = 0; call < 3; call++) await ask('guarded');
    const before = (await targets()).data.find((entry) => entry.target === 'local/br-primary')!;
    expect(before.state).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const probes = requestsTo('br-primary').length;
    expect((await ask('guarded')).target).toBe('local/br-backup');
    expect(requestsTo('br-primary')).toHaveLength(probes + 1);
    const after = (await targets()).data.find((entry) => entry.target === 'local/br-primary')!;
    expect(after.state).toBe('open');
    expect(after.opened_times).toBe(before.opened_times + 1);
  });

  it('fails fast with 503 and retry-after when every target of an alias is open', async () => {
    stack.mock.script('br-only', [{ status: 503 }]);
    for (let call = 0; call < 3; call++) await ask('lonely').catch(() => undefined);
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'lonely', messages: hi }),
    });
    const body = (await response.json()) as { error: { message: string } };
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(response.headers.get('x-gantry-attempts')).toBe('0');
    expect(body.error.message).toContain('circuit breaker');
    expect(requestsTo('br-only')).toHaveLength(3);
  });

  it('shows breakers, the retry budget and aliases at GET /admin/targets, for the master key only', async () => {
    const view = await targets();
    expect(view.aliases.guarded).toEqual({ strategy: 'fallback', sticky: 'run', targets: ['local/br-primary', 'local/br-backup'] });
    expect(view.retry_budget.window_requests).toBeGreaterThan(0);
    expect(stack.gateway.services.router.snapshot().targets.map((target) => target.target)).toContain('local/br-backup');
    const anonymous = await fetch(`${stack.url}/admin/targets`);
    expect(anonymous.status).toBe(401);
  });
});
