import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

describe('when the database goes away', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    // Warm the paths that read the database once (keys, policy) before it goes away.
    await stack.openai().chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'warm up' }] });
    await stack.flush();
    await stack.database.close();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('keeps proxying calls that name no run, holding their spans in the bounded buffer', async () => {
    for (let call = 0; call < 3; call++) {
      const completion = await stack.openai().chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: `call ${call}` }] });
      expect(completion.choices[0]?.message.content).toBe('Hello from the mock provider.');
    }
    await stack.flush();
    const stats = stack.gateway.services.recorder.getStats();
    expect(stats.buffered).toBeGreaterThanOrEqual(3);
    expect(stats.failedWrites).toBeGreaterThan(0);

    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/gantry_span_write_failures_total [1-9]/);
    expect(metrics).toMatch(/gantry_spans_buffered [1-9]/);
  });

  it('refuses a call into a named run with a 503 that says why and what to do, never a 500', async () => {
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', 'x-gantry-run-id': 'needs-the-database' },
      body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toContain('database is unavailable');
    expect(body.error.message).toContain('without x-gantry-run-id');
  });

  it('reports not ready', async () => {
    expect((await fetch(`${stack.url}/readyz`)).status).toBe(503);
  });
});
