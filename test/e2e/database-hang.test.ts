import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCall, messagesCall } from '../support/budget-helpers.ts';
import { MASTER_KEY } from '../support/start-stack.ts';
import { keyWithBudget, settledEntryIds, SQL_LEAKS, startGatewayOnProxiedPostgres, storedSpanIds, timed, type ProxiedStack } from './gateway-on-proxied-postgres.ts';

const DATABASE_URL = process.env.DATABASE_URL;
/** Short, so a frozen database costs the test seconds; the defaults are 5 s and 10 s. */
const TIMEOUTS = { connectMs: 1_000, queryMs: 1_000 };
/** A call that needs the database gets its 503 within this: a wait for a connection, a statement timing out, and slack for a busy machine. */
const WITHIN_MS = TIMEOUTS.connectMs + TIMEOUTS.queryMs + 1_500;
/**
 * A burst of 100 shares two cores with the rest of the suite: more slack, still far below what
 * one timeout after another would take (ten queued round trips alone are 10 s).
 */
const BURST_WITHIN_MS = WITHIN_MS + 2_500;

describe.skipIf(!DATABASE_URL)('when Postgres hangs (a frozen server: sockets open, nothing answered)', () => {
  let stack: ProxiedStack;
  let budgetKey: string;
  const knownRun = `hang-known-run-${Date.now()}`;
  /** Span ids of the calls the client saw succeed while the database was frozen. */
  const servedWhileFrozen: string[] = [];

  beforeAll(async () => {
    stack = await startGatewayOnProxiedPostgres(DATABASE_URL!, TIMEOUTS);
    budgetKey = await keyWithBudget(stack, 'hang');
    // Warm what calls read once: the key (cached for 10 s), a named run.
    expect((await chatCall(stack.url, budgetKey, 'fast')).status).toBe(200);
    expect((await chatCall(stack.url, MASTER_KEY, 'fast', { headers: { 'x-gantry-run-id': knownRun } })).status).toBe(200);
    await stack.gateway.services.recorder.flush();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('keeps serving calls that need no database round trip: a cached key, no run id, budget drawn on the held lease', async () => {
    // The key's lease is taken (or kept) by a call just before the freeze: a lease idle for a second is given back.
    expect((await chatCall(stack.url, budgetKey, 'fast')).status).toBe(200);
    await stack.gateway.services.recorder.flush();
    const before = stack.gateway.services.recorder.getStats();
    stack.proxy.freeze();
    for (let call = 0; call < 5; call++) {
      for (const key of [MASTER_KEY, budgetKey]) {
        const { ms, value: response } = await timed(() => chatCall(stack.url, key, 'fast'));
        expect(response.status).toBe(200);
        expect(ms).toBeLessThan(TIMEOUTS.queryMs);
        servedWhileFrozen.push(response.headers.get('x-gantry-span-id')!);
      }
    }
    // Their spans wait: a write times out and is tried again; nothing is written, nothing dropped.
    await new Promise((resolve) => setTimeout(resolve, TIMEOUTS.queryMs + 500));
    const during = stack.gateway.services.recorder.getStats();
    expect(during.failedWrites).toBeGreaterThan(before.failedWrites);
    expect(during).toMatchObject({ written: before.written, dropped: before.dropped });
  });

  it('answers /readyz within a second with a 503 naming the database as unavailable, without SQL', async () => {
    for (let probe = 0; probe < 3; probe++) {
      const { ms, value: response } = await timed(() => fetch(`${stack.url}/readyz`));
      expect(ms).toBeLessThan(1_000);
      expect(response.status).toBe(503);
      // A probe that joins a ping already under way may see that ping's statement time out first.
      expect(await response.json()).toEqual({ status: 'unavailable', database: 'postgres', error: expect.stringMatching(/^the database (did not answer within \d+ ms|could not be reached)$/) });
    }
  });

  it('refuses a call into a new run with a 503 in the OpenAI wire within the timeouts, naming no SQL', async () => {
    const { ms, value: response } = await timed(() => chatCall(stack.url, MASTER_KEY, 'fast', { headers: { 'x-gantry-run-id': `hang-new-run-${Date.now()}` } }));
    expect(ms).toBeLessThan(WITHIN_MS);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe('unavailable');
    expect(body.error.message).toContain('database is unavailable');
    expect(body.error.message).not.toMatch(SQL_LEAKS);
  });

  it('refuses a call into a new run with a 503 in the Anthropic wire within the timeouts, naming no SQL', async () => {
    const { ms, value: response } = await timed(() => messagesCall(stack.url, MASTER_KEY, 'fast', { 'x-gantry-run-id': `hang-new-run-a-${Date.now()}` }));
    expect(ms).toBeLessThan(WITHIN_MS);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.message).not.toMatch(SQL_LEAKS);
  });

  it('refuses a call into a run it already knows (its ledger reservation needs the database) with a 503 within the timeouts, naming no SQL', async () => {
    const { ms, value: response } = await timed(() => chatCall(stack.url, MASTER_KEY, 'fast', { headers: { 'x-gantry-run-id': knownRun } }));
    expect(ms).toBeLessThan(WITHIN_MS);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).not.toMatch(SQL_LEAKS);
  });

  it('refuses budgeted calls that need the ledger, 100 at once, each with a 503 within the timeouts (not one timeout after another), naming no SQL', async () => {
    // Past the headroom the instance holds (about 64 calls' worth, given back once idle) every
    // call needs the ledger; such calls queue behind one another's round trips.
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const { ms, value: response } = await timed(() => chatCall(stack.url, budgetKey, 'fast'));
        return { ms, status: response.status, spanId: response.headers.get('x-gantry-span-id'), body: await response.text() };
      }),
    );
    const refused = outcomes.filter((outcome) => outcome.status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    for (const outcome of refused) {
      expect(outcome.status).toBe(503);
      expect(outcome.ms).toBeLessThan(BURST_WITHIN_MS);
      expect(outcome.body).toContain('fail closed');
      expect(outcome.body).not.toMatch(SQL_LEAKS);
    }
    for (const outcome of outcomes) if (outcome.status === 200) servedWhileFrozen.push(outcome.spanId!);
  });

  it('writes every span and ledger entry of the calls it served once the database answers again', async () => {
    expect(servedWhileFrozen.length).toBeGreaterThanOrEqual(10);
    stack.proxy.thaw();
    await expect.poll(() => storedSpanIds(stack.direct, servedWhileFrozen), { timeout: 15_000, interval: 250 }).toEqual([...servedWhileFrozen].sort());
    await stack.gateway.services.budgets.drain();
    await expect.poll(() => settledEntryIds(stack.direct, servedWhileFrozen), { timeout: 15_000, interval: 250 }).toEqual([...servedWhileFrozen].sort());
    expect(stack.gateway.services.recorder.getStats()).toMatchObject({ dropped: 0, refused: 0 });
    await expect.poll(async () => (await fetch(`${stack.url}/readyz`)).status, { timeout: 5_000 }).toBe(200);
  });
});
