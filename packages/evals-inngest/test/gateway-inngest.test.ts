import { createDatabase, getReplay, listReplaySteps, migrate, type Database } from '@gantry/db';
import { ReplayRunner, saveDataset } from '@gantry/evals';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delegationSnapshot } from '../../evals/test/snapshot-fixtures.ts';
import { ConfigError, createGateway, loadConfig, type Gateway } from '../../../apps/gateway/src/index.ts';
import { REPLAY_CANCELLED, REPLAY_REQUESTED } from '../src/replay-events.ts';
import { inngestSignature, startFakeInngestServer, type FakeInngestServer } from './fake-inngest-server.ts';

const MASTER_KEY = 'gk-master-inngest-0123456789';
const SIGNING_KEY = 'signkey-test-0123456789abcdef0123456789abcdef';
/** Nothing listens there: a replay run in-process would record failed calls at once. */
const DEAD_UPSTREAM = 'http://127.0.0.1:9/v1';

/**
 * A real gateway configured by INNGEST_* variables, its Inngest server a fake one on 127.0.0.1:
 * `POST /v1/replays` sends the replay to Inngest instead of replaying it in-process, cancelling sends
 * the cancellation, and `/api/inngest` is Inngest's (signed with the signing key), not behind a Gantry key.
 */
describe('gateway with replays on Inngest', () => {
  let server: FakeInngestServer;
  let database: Database;
  let gateway: Gateway;
  let url: string;

  const inngestEnv = () => ({ INNGEST_BASE_URL: server.url, INNGEST_EVENT_KEY: 'test-event-key', INNGEST_SIGNING_KEY: SIGNING_KEY });

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${MASTER_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    server = await startFakeInngestServer();
    database = await createDatabase();
    await migrate(database);
    const config = loadConfig({
      file: { providers: { local: { type: 'openai-compatible', base_url: DEAD_UPSTREAM } } },
      env: { GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_PORT: '0', ...inngestEnv() },
    });
    gateway = await createGateway(config, { database });
    url = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    await saveDataset(database.db, { apiKeyId: null, teamId: null }, 'research', undefined, {}, [{ sourceRunId: 'run_root', snapshot: delegationSnapshot() }]);
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([database?.close(), server?.close()]);
  });

  it('sends POST /v1/replays to Inngest as gantry/replay.requested instead of replaying in-process', async () => {
    expect(gateway.services.replays).not.toBeInstanceOf(ReplayRunner);
    const created = await api('POST', '/v1/replays', { dataset: 'research', candidates: ['local/llama3'] });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const replayId = String(created.json.id);
    const events = await server.waitForEvents(REPLAY_REQUESTED, 1);
    expect(events.filter((event) => event.data.replay_id === replayId)).toEqual([expect.objectContaining({ name: REPLAY_REQUESTED, data: { replay_id: replayId } })]);
    // In-process, the first call to the dead upstream would have failed and been stored by now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await listReplaySteps(database.db, replayId)).toEqual([]);
    expect((await getReplay(database.db, replayId))?.status).toBe('running');

    const cancelled = await api('POST', `/v1/replays/${replayId}/cancel`);
    expect(cancelled.json.status).toBe('cancelled');
    const cancellations = await server.waitForEvents(REPLAY_CANCELLED, 1);
    expect(cancellations.map((event) => event.data)).toContainEqual({ replay_id: replayId });
  });

  it('serves /api/inngest without a Gantry key: signed by Inngest it answers, unsigned Inngest refuses it', async () => {
    expect(gateway.app.registeredRoutes.filter((route) => route.url === '/api/inngest').map((route) => route.method).sort()).toEqual(['GET', 'HEAD', 'POST', 'PUT']);
    const signed = await fetch(`${url}/api/inngest`, { headers: { 'x-inngest-signature': inngestSignature(SIGNING_KEY) } });
    expect(signed.status).toBe(200);
    expect(await signed.json()).toMatchObject({ authentication_succeeded: true, app_id: 'gantry', function_count: 2, mode: 'cloud' });
    const unsigned = await fetch(`${url}/api/inngest`);
    expect(unsigned.status).toBe(401);
    // Inngest's own refusal, not the gateway's missing-key error.
    expect(await unsigned.json()).toEqual({ message: 'Unauthorized' });
  });

  it('reads replays.inngest from INNGEST_* or the file, refuses dev mode off loopback, and wants a signing key', () => {
    const file = { providers: { local: { type: 'openai-compatible', base_url: DEAD_UPSTREAM } } };
    expect(loadConfig({ file, env: {} }).replays.inngest).toBeUndefined();
    expect(loadConfig({ file, env: inngestEnv() }).replays.inngest).toEqual({ baseUrl: server.url, eventKey: 'test-event-key', signingKey: SIGNING_KEY, dev: false, providerConcurrency: 8 });
    const fromFile = loadConfig({ file: { ...file, replays: { inngest: { base_url: server.url, dev: true, provider_concurrency: 3, retries: 1 } } }, env: {} });
    expect(fromFile.replays.inngest).toEqual({ baseUrl: server.url, dev: true, providerConcurrency: 3, retries: 1 });
    expect(() => loadConfig({ file, env: { ...inngestEnv(), INNGEST_DEV: '1', GANTRY_HOST: '0.0.0.0' } })).toThrow(/INNGEST_DEV=1 .* allowed only when the gateway listens on loopback/);
    expect(loadConfig({ file, env: { INNGEST_BASE_URL: server.url, INNGEST_DEV: '1' } }).replays.inngest?.dev).toBe(true);
    expect(() => loadConfig({ file, env: { INNGEST_BASE_URL: server.url } })).toThrow(ConfigError);
    expect(() => loadConfig({ file, env: { INNGEST_BASE_URL: server.url } })).toThrow(/INNGEST_SIGNING_KEY is not/);
    expect(() => loadConfig({ file, env: { ...inngestEnv(), INNGEST_DEV: 'http://127.0.0.1:8288' } })).toThrow(/INNGEST_DEV: must be 1 or 0/);
  });
});
