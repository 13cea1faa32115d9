import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, createGatewayClient } from '../src/cli/admin-client.ts';

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('gateway client of the dataset, replay and eval commands', () => {
  const received: Received[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer(async (request, response) => {
      received.push({ method: request.method ?? '', url: request.url ?? '', authorization: request.headers.authorization, contentType: request.headers['content-type'], body: await bodyOf(request) });
      if (request.url === '/v1/datasets/missing') {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: "no dataset 'missing' visible to this key" } }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const last = () => received.at(-1);

  it('acts as --api-key, else GANTRY_API_KEY, else the master key', async () => {
    const env = { GANTRY_MASTER_KEY: 'gk-master', GANTRY_API_KEY: 'gk-from-env' };
    await createGatewayClient({ url, env, apiKey: 'gk-flag' }).call('GET', '/v1/datasets');
    expect(last()?.authorization).toBe('Bearer gk-flag');
    await createGatewayClient({ url, env }).call('GET', '/v1/datasets');
    expect(last()?.authorization).toBe('Bearer gk-from-env');
    await createGatewayClient({ url, env: { GANTRY_MASTER_KEY: 'gk-master', GANTRY_API_KEY: '' } }).call('GET', '/v1/datasets');
    expect(last()?.authorization).toBe('Bearer gk-master');
  });

  it('needs no master key when a virtual key is given', async () => {
    const env = { GANTRY_DATA_DIR: '/nonexistent-gantry-data' };
    expect(() => createGatewayClient({ url, env })).toThrow(/no master key/);
    await expect(createGatewayClient({ url, env, apiKey: 'gk-team' }).call('GET', '/v1/replays')).resolves.toEqual({ ok: true });
  });

  it('sends JSON bodies as JSON and imports as JSON Lines', async () => {
    const client = createGatewayClient({ url, apiKey: 'gk-team', env: {} });
    await client.call('POST', '/v1/replays', { dataset: 'd', candidates: ['m'] });
    expect(last()).toMatchObject({ method: 'POST', contentType: 'application/json', body: '{"dataset":"d","candidates":["m"]}' });
    await client.sendText('POST', '/v1/datasets/import?name=d', '{"a":1}\n', 'application/x-ndjson');
    expect(last()).toMatchObject({ url: '/v1/datasets/import?name=d', contentType: 'application/x-ndjson', body: '{"a":1}\n' });
  });

  it('reports an HTTP error with its status, and no gateway as unreachable', async () => {
    const client = createGatewayClient({ url, apiKey: 'gk-team', env: {} });
    const notFound = await client.call('GET', '/v1/datasets/missing').catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(CliError);
    expect(notFound).toMatchObject({ status: 404, unreachable: false, message: "GET /v1/datasets/missing failed with HTTP 404: no dataset 'missing' visible to this key" });
    const nowhere = await createGatewayClient({ url: 'http://127.0.0.1:9', apiKey: 'gk-team', env: {} })
      .call('GET', '/v1/datasets')
      .catch((error: unknown) => error);
    expect(nowhere).toMatchObject({ status: undefined, unreachable: true });
  });
});
