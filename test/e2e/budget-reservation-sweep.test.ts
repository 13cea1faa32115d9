import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { insertSpans, migrate, reserveInLedger, type Database } from '@gantry/db';
import { createGateway, loadConfig, type Gateway } from '@gantry/gateway';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { databaseTargets, type DatabaseTarget } from '../../packages/db/test/test-databases.ts';
import { startMockProvider, type MockProvider } from '../mock-provider/index.ts';
import { MASTER_KEY } from '../support/start-stack.ts';

const EPOCH = new Date(0).toISOString();
/** Short, so the gateway sweeps every second (a quarter of it, at least 1 s). */
const EXPIRY_MS = 2_000;

/**
 * Per-call reservations never settled in time are closed by the sweeper every gateway runs
 * (`budgets.reservation_expiry_ms`). Each file gets a database of its own: a sweeper with a 2 s
 * expiry on a shared one would close other files' calls.
 */
describe.each(databaseTargets)('a gateway sweeping expired reservations, on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;
  let mock: MockProvider;
  let gateway: Gateway;
  let url: string;
  /** The gateway's clock runs this far ahead of the real one (budgets, reservations and the sweeper read it). */
  let ahead = 0;

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
    mock = await startMockProvider();
    mock.script('long-stream', [{ text: 'y'.repeat(64), chunkSize: 8, chunkDelayMs: 500, usage: { input: 8, output: 20 } }]);
    const config = loadConfig({
      file: {
        providers: { local: { type: 'openai-compatible', base_url: `${mock.url}/v1` } },
        pricing: { 'local/long-stream': { input: 1, output: 2 } },
        budgets: { reservation_expiry_ms: EXPIRY_MS },
      },
      env: { GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_PORT: '0' },
    });
    gateway = await createGateway(config, { database, now: () => new Date(Date.now() + ahead) });
    await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(gateway.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await gateway?.close();
    await mock?.close();
    await scratch?.tearDown();
  });

  async function entriesOfRun(runId: string) {
    return database.db.query.ledgerEntries.findMany({ where: (entry, { eq }) => eq(entry.rootRunId, runId) });
  }

  async function runCounter(runId: string) {
    const row = await database.db.query.budgetCounters.findFirst({ where: (counter, { eq }) => eq(counter.scope, `run:${runId}`) });
    return { spentMicros: row!.spentMicros, reservedMicros: row!.reservedMicros, tokens: row!.tokens };
  }

  async function spendOf(keyId: string): Promise<unknown> {
    const response = await fetch(`${url}/v1/spend?group_by=key`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    const body = (await response.json()) as { data: Array<{ key: string | null; cost_micros: number; calls: number; tokens: number }> };
    return body.data.find((row) => row.key === keyId);
  }

  it('settles the reservation of a call whose instance died at its span’s cost, and releases one that left no span', async () => {
    const runId = `crashed-${target.kind}`;
    // What an instance that died mid-call leaves: reservations, and the span of the call it had recorded.
    const at = new Date(Date.now() + ahead - 60_000);
    const base = { at, amountMicros: 500, tokens: 100, apiKeyId: 'crashed-key', teamId: null, customerId: null, runId, rootRunId: runId, runName: null, model: 'fast' };
    for (const id of ['crashed-recorded', 'crashed-unrecorded']) {
      expect(await reserveInLedger(database.db, { ...base, id: `${id}-${target.kind}` }, [{ scope: `run:${runId}`, window: EPOCH, stored: true }])).toEqual({ ok: true });
    }
    await insertSpans(database.db, [{ id: `crashed-recorded-${target.kind}`, runId, kind: 'llm', status: 'ok', startedAt: at, endedAt: at, inputTokens: 8, outputTokens: 20, costMicros: 48 }]);

    await vi.waitFor(async () => expect((await entriesOfRun(runId)).every((entry) => entry.state !== 'reserved')).toBe(true), { timeout: 10_000, interval: 100 });
    const closed = (await entriesOfRun(runId)).map(({ id, state, settledBy, settledMicros }) => ({ id, state, settledBy, settledMicros }));
    expect(closed.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: `crashed-recorded-${target.kind}`, state: 'settled', settledBy: 'sweeper', settledMicros: 48 },
      { id: `crashed-unrecorded-${target.kind}`, state: 'released', settledBy: 'sweeper', settledMicros: 0 },
    ]);
    expect(await runCounter(runId)).toEqual({ spentMicros: 48, reservedMicros: 0, tokens: 28 });
    expect(await spendOf('crashed-key')).toEqual({ key: 'crashed-key', cost_usd: 0.000048, cost_micros: 48, calls: 1, tokens: 28, saved_usd: 0, saved_micros: 0, cache_hits: 0 });
  });

  it('releases a stream that outlives its expiry while it runs, then counts it when it settles after all', async () => {
    const runId = `long-stream-${target.kind}`;
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${url}/v1`, maxRetries: 0, timeout: 30_000 });
    const stream = await client.chat.completions.create(
      { model: 'local/long-stream', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50, stream: true, stream_options: { include_usage: true } },
      { headers: { 'x-gantry-run-id': runId } },
    );
    let text = '';
    let released = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (released || text.length === 0) continue;
      // Its first tokens are in: jump the gateway's clock past the expiry; the next sweep releases it.
      ahead += 60 * 60_000;
      await vi.waitFor(async () => expect((await entriesOfRun(runId))[0]).toMatchObject({ state: 'released', settledBy: 'sweeper' }), { timeout: 3_000, interval: 50 });
      expect(await runCounter(runId)).toMatchObject({ spentMicros: 0, reservedMicros: 0 });
      released = true;
    }
    expect(released).toBe(true);
    expect(text).toBe('y'.repeat(64));

    // 8 input tokens × $1/M + 20 output tokens × $2/M.
    await vi.waitFor(async () => expect((await entriesOfRun(runId))[0]).toMatchObject({ state: 'settled', settledBy: 'late_call', settledMicros: 48, settledTokens: 28 }), { timeout: 5_000, interval: 50 });
    expect(await runCounter(runId)).toEqual({ spentMicros: 48, reservedMicros: 0, tokens: 28 });
  });
});
