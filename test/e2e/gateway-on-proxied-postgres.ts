import type { AddressInfo } from 'node:net';
import { createDatabase, type CreateDatabaseOptions, type Database } from '@gantry/db';
import { createGateway, loadConfig, type Gateway } from '@gantry/gateway';
import { startMockProvider, type MockProvider } from '../mock-provider/index.ts';
import { adminCall } from '../support/budget-helpers.ts';
import { MASTER_KEY } from '../support/start-stack.ts';
import { startPostgresTcpProxy, type PostgresTcpProxy } from './postgres-tcp-proxy.ts';

/** Statement text, parameters and driver words an error body must never carry. */
export const SQL_LEAKS = /select |insert |update |failed query|params:|gantry_|ledger_entries|\$1/i;

/** A gateway whose only way to Postgres is a proxy that can freeze or cut it; `direct` reads back what it wrote. */
export interface ProxiedStack {
  mock: MockProvider;
  proxy: PostgresTcpProxy;
  /** The gateway's database, through the proxy. */
  database: Database;
  /** The same server, not through the proxy. */
  direct: Database;
  gateway: Gateway;
  url: string;
  close(): Promise<void>;
}

/** Starts the mock provider, the proxy in front of `databaseUrl`, and a gateway on it (alias `fast`). */
export async function startGatewayOnProxiedPostgres(databaseUrl: string, timeouts: CreateDatabaseOptions['timeouts']): Promise<ProxiedStack> {
  const mock = await startMockProvider();
  const proxy = await startPostgresTcpProxy(databaseUrl);
  const database = await createDatabase({ url: proxy.url, timeouts });
  const direct = await createDatabase({ url: databaseUrl });
  const config = loadConfig({
    file: {
      providers: { local: { type: 'openai-compatible', base_url: `${mock.url}/v1` } },
      models: { fast: { targets: ['local/llama3'] } },
      pricing: { 'local/llama3': { input: 0.1, output: 0.2 } },
    },
    env: { GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_PORT: '0' },
  });
  const gateway = await createGateway(config, { database });
  await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(gateway.app.server.address() as AddressInfo).port}`;
  return {
    mock,
    proxy,
    database,
    direct,
    gateway,
    url,
    async close() {
      proxy.thaw();
      await proxy.restore().catch(() => {});
      await gateway.close();
      await database.close();
      await direct.close();
      await proxy.close();
      await mock.close();
    },
  };
}

/** A virtual key with a total budget of $10, known to the gateway's policy; its secret. */
export async function keyWithBudget(stack: ProxiedStack, name: string): Promise<string> {
  const key = (await adminCall<{ id: string; key: string }>(stack.url, 'POST', '/admin/keys', { name: `${name}-${Date.now()}` })).json;
  await adminCall(stack.url, 'POST', '/admin/budgets', { scope: 'key', scope_id: key.id, period: 'total', limit_usd: 10 });
  await stack.gateway.services.policy.reload();
  return key.key;
}

/** How long `work` took, with its result. */
export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** Which of `ids` (UUIDv7 span ids from `x-gantry-span-id`) have a span row, sorted. */
export async function storedSpanIds(database: Database, ids: readonly string[]): Promise<string[]> {
  const result = await database.db.execute<{ id: string }>(`select id from spans where id in (${ids.map(quoted).join(', ')})`);
  return result.rows.map((row) => row.id).sort();
}

/** Which of `ids` have a settled ledger entry, sorted. */
export async function settledEntryIds(database: Database, ids: readonly string[]): Promise<string[]> {
  const result = await database.db.execute<{ id: string }>(`select id from ledger_entries where state = 'settled' and id in (${ids.map(quoted).join(', ')})`);
  return result.rows.map((row) => row.id).sort();
}

/** A SQL string literal of an id the gateway minted (hex and dashes; checked). */
function quoted(id: string): string {
  if (!/^[0-9a-f-]+$/.test(id)) throw new Error(`not a span id: ${id}`);
  return `'${id}'`;
}
