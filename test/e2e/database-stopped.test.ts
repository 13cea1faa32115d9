import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCall } from '../support/budget-helpers.ts';
import { MASTER_KEY } from '../support/start-stack.ts';
import { keyWithBudget, settledEntryIds, SQL_LEAKS, startGatewayOnProxiedPostgres, storedSpanIds, timed, type ProxiedStack } from './gateway-on-proxied-postgres.ts';

const DATABASE_URL = process.env.DATABASE_URL;
const TIMEOUTS = { connectMs: 1_000, queryMs: 1_000 };

describe.skipIf(!DATABASE_URL)('when Postgres stops (connections reset, new ones refused) and comes back', () => {
  let stack: ProxiedStack;
  let budgetKey: string;
  /** Span ids of the calls the client saw succeed while the database was away. */
  const servedWhileStopped: string[] = [];

  beforeAll(async () => {
    stack = await startGatewayOnProxiedPostgres(DATABASE_URL!, TIMEOUTS);
    budgetKey = await keyWithBudget(stack, 'stopped');
    expect((await chatCall(stack.url, budgetKey, 'fast')).status).toBe(200);
    await stack.gateway.services.recorder.flush();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('keeps serving calls that need no database round trip while the server is stopped', async () => {
    expect((await chatCall(stack.url, budgetKey, 'fast')).status).toBe(200);
    await stack.proxy.cut();
    for (let call = 0; call < 5; call++) {
      for (const key of [MASTER_KEY, budgetKey]) {
        const response = await chatCall(stack.url, key, 'fast');
        expect(response.status).toBe(200);
        servedWhileStopped.push(response.headers.get('x-gantry-span-id')!);
      }
    }
  });

  it('answers /readyz at once with a 503 naming the database as unavailable, without SQL', async () => {
    const { ms, value: response } = await timed(() => fetch(`${stack.url}/readyz`));
    expect(ms).toBeLessThan(1_000);
    expect(response.status).toBe(503);
    const body = (await response.json()) as Record<string, string>;
    expect(body).toEqual({ status: 'unavailable', database: 'postgres', error: 'the database could not be reached' });
    expect(JSON.stringify(body)).not.toMatch(SQL_LEAKS);
  });

  it('refuses a call into a new run with a 503 at once, naming no SQL', async () => {
    const { ms, value: response } = await timed(() => chatCall(stack.url, MASTER_KEY, 'fast', { headers: { 'x-gantry-run-id': `stopped-run-${Date.now()}` } }));
    expect(ms).toBeLessThan(TIMEOUTS.connectMs);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toContain('database is unavailable');
    expect(body.error.message).not.toMatch(SQL_LEAKS);
  });

  it('writes every span and ledger entry of the calls it served once the server is back', async () => {
    expect(servedWhileStopped).toHaveLength(10);
    await stack.proxy.restore();
    await expect.poll(() => storedSpanIds(stack.direct, servedWhileStopped), { timeout: 15_000, interval: 250 }).toEqual([...servedWhileStopped].sort());
    await stack.gateway.services.budgets.drain();
    await expect.poll(() => settledEntryIds(stack.direct, servedWhileStopped), { timeout: 15_000, interval: 250 }).toEqual([...servedWhileStopped].sort());
    expect(stack.gateway.services.recorder.getStats()).toMatchObject({ dropped: 0, refused: 0 });
    await expect.poll(async () => (await fetch(`${stack.url}/readyz`)).status, { timeout: 5_000 }).toBe(200);
  });
});
