import { createServer } from 'node:net';
import Fastify from 'fastify';
import { InngestTestEngine } from '@inngest/test';
import type { Database } from '@gantry/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InngestReplayConfig } from '../src/inngest-client.ts';
import { createInngestReplays, INNGEST_PATH } from '../src/inngest-replays.ts';
import { REPLAY_CANCELLED, REPLAY_PAIR, REPLAY_REQUESTED } from '../src/replay-events.ts';
import { inngestSignature, startFakeInngestServer, type FakeInngestServer } from './fake-inngest-server.ts';
import { openDatabase, startReplayFixture, type ReplayFixtureOptions } from './replay-fixture.ts';

const SIGNING_KEY = 'signkey-test-0123456789abcdef0123456789abcdef';

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `createInngestReplays`, the executor the gateway uses: its events reach a fake Inngest server on
 * 127.0.0.1, `stop` and `close` act on the pairs in flight here, and `serve` answers Inngest.
 */
describe('Inngest replays executor', () => {
  let server: FakeInngestServer;
  let database: Database;

  beforeAll(async () => {
    [server, database] = await Promise.all([startFakeInngestServer(), openDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([server?.close(), database?.close()]);
  });

  async function setUp(options: ReplayFixtureOptions = {}, config: Partial<InngestReplayConfig> = {}) {
    const fixture = await startReplayFixture(database, options);
    const replays = createInngestReplays({ deps: fixture.deps, config: { eventKey: 'test-event-key', baseUrl: server.url, signingKey: SIGNING_KEY, dev: false, providerConcurrency: 3, heartbeatMs: 60_000, ...config } });
    return { fixture, replays };
  }

  it('start sends gantry/replay.requested with the replay id to the Inngest server, under the event key', async () => {
    const { fixture, replays } = await setUp();
    replays.start(fixture.row);
    const [event] = (await server.waitForEvents(REPLAY_REQUESTED, 1)).filter((each) => each.data.replay_id === fixture.row.id);
    expect(event).toMatchObject({ name: REPLAY_REQUESTED, data: { replay_id: fixture.row.id } });
    const request = server.requests.find((each) => JSON.stringify(each.body).includes(fixture.row.id));
    expect(request).toMatchObject({ method: 'POST', path: '/e/test-event-key' });
    await replays.close();
    expect((await fixture.stored()).row?.status).toBe('running');
    expect(fixture.candidate.calls).toHaveLength(0);
  });

  it('ends a replay whose event cannot be sent as failed, saying where it was sent', async () => {
    const port = await closedPort();
    const { fixture, replays } = await setUp({}, { baseUrl: `http://127.0.0.1:${port}` });
    replays.start(fixture.row);
    // The SDK retries for about 2 s; close waits for the send to settle.
    await replays.close();
    const { row } = await fixture.stored();
    expect(row?.status).toBe('failed');
    expect(row?.error).toContain(`could not send the replay to Inngest at http://127.0.0.1:${port}`);
    expect(fixture.errors).toHaveLength(1);
  });

  it('stop sends gantry/replay.cancelled and stops the pairs in flight here at once', async () => {
    const { fixture, replays } = await setUp({ items: 1, candidates: ['alpha/agree'], behaviour: (call) => (call === 1 ? 'hold' : 'answer') });
    const [, pair] = replays.functions;
    const running = new InngestTestEngine({ function: pair, events: [{ name: REPLAY_PAIR, data: { replay_id: fixture.row.id, position: 0, candidate: 0, provider: 'alpha' } }] }).execute();
    await fixture.candidate.waitForCalls(1);
    replays.stop(fixture.row.id);
    // The heartbeat is a minute away: only stop can have ended the step this soon.
    const { result } = await running;
    expect(result).toEqual({ status: 'skipped', reason: 'cancelled', ended: false });
    const [cancelled] = (await server.waitForEvents(REPLAY_CANCELLED, 1)).filter((event) => event.data.replay_id === fixture.row.id);
    expect(cancelled?.data).toEqual({ replay_id: fixture.row.id });
    expect((await fixture.stored()).steps).toEqual([]);
    await replays.close();
  });

  it('close stops the pairs in flight, whose steps fail so that Inngest retries them, and sends nothing after', async () => {
    const { fixture, replays } = await setUp({ items: 1, candidates: ['alpha/agree'], behaviour: (call) => (call === 2 ? 'hold' : 'answer') });
    const [, pair] = replays.functions;
    const running = new InngestTestEngine({ function: pair, events: [{ name: REPLAY_PAIR, data: { replay_id: fixture.row.id, position: 0, candidate: 0, provider: 'alpha' } }] }).execute();
    await fixture.candidate.waitForCalls(2);
    await replays.close();
    const { error } = (await running) as { error?: { message: string } };
    expect(error?.message).toMatch(/shutting down; the step is retried and resumes after the steps already scored/);
    const sentBefore = server.events().length;
    replays.start(fixture.row);
    await replays.close();
    expect(server.events()).toHaveLength(sentBefore);
    const { row, steps, items } = await fixture.stored();
    expect(row?.status).toBe('running');
    expect(steps.map((step) => step.step)).toEqual([0]);
    expect(items).toEqual([]);
  });

  it('serves both functions at /api/inngest and syncs them with concurrency keyed by provider and cancellation by replay', async () => {
    const { replays } = await setUp({}, { providerConcurrency: 5, retries: 2 });
    const app = Fastify();
    replays.serve(app);
    const unsigned = await app.inject({ method: 'GET', url: INNGEST_PATH });
    expect(unsigned.statusCode).toBe(401);
    const introspection = await app.inject({ method: 'GET', url: INNGEST_PATH, headers: { 'x-inngest-signature': inngestSignature(SIGNING_KEY) } });
    expect(introspection.statusCode).toBe(200);
    expect(introspection.json()).toMatchObject({ authentication_succeeded: true, app_id: 'gantry', function_count: 2, mode: 'cloud', api_origin: server.url });
    const synced = await app.inject({ method: 'PUT', url: INNGEST_PATH, headers: { host: '127.0.0.1:4000' } });
    expect(synced.statusCode).toBe(200);
    const register = server.requests.filter((request) => request.path.startsWith('/fn/register')).at(-1);
    const functions = (register?.body as { functions: { id: string; triggers: unknown[]; concurrency?: unknown; cancel?: unknown; steps: Record<string, { retries?: { attempts: number } }> }[] }).functions;
    expect(functions.map((fn) => fn.id).sort()).toEqual(['gantry-gantry-replay', 'gantry-gantry-replay-pair']);
    const planFn = functions.find((fn) => fn.id === 'gantry-gantry-replay')!;
    const pairFn = functions.find((fn) => fn.id === 'gantry-gantry-replay-pair')!;
    expect(planFn.triggers).toEqual([{ event: REPLAY_REQUESTED }]);
    expect(pairFn.triggers).toEqual([{ event: REPLAY_PAIR }]);
    expect(pairFn.concurrency).toEqual([{ key: 'event.data.provider', limit: 5 }]);
    for (const fn of [planFn, pairFn]) expect(fn.cancel).toEqual([{ event: REPLAY_CANCELLED, if: 'async.data.replay_id == event.data.replay_id' }]);
    expect(Object.values(pairFn.steps)[0]?.retries).toEqual({ attempts: 2 });
    await app.close();
    await replays.close();
  });

  it('answers only loopback callers in dev mode, whose requests are not signed', async () => {
    const { replays } = await setUp({}, { dev: true, signingKey: undefined });
    const app = Fastify();
    replays.serve(app);
    const local = await app.inject({ method: 'GET', url: INNGEST_PATH, remoteAddress: '127.0.0.1' });
    expect(local.statusCode).toBe(200);
    expect(local.json()).toMatchObject({ mode: 'dev' });
    const remote = await app.inject({ method: 'GET', url: INNGEST_PATH, remoteAddress: '10.1.2.3' });
    expect(remote.statusCode).toBe(403);
    expect(remote.body).toContain('only loopback callers in Inngest dev mode');
    await app.close();
    await replays.close();
  });
});
