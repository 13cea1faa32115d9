import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { createDatabase, type Database } from '@gantry/db';
import { createGateway, loadConfig, type Gateway } from '@gantry/gateway';
import type { CallMiddleware } from '@gantry/spec';
import { startMockProvider, type MockProvider } from '../mock-provider/index.ts';

export const MASTER_KEY = 'gk-master-test-0123456789';

export interface Stack {
  mock: MockProvider;
  gateway: Gateway;
  database: Database;
  /** Gateway base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  /** An official OpenAI SDK client pointed at the gateway (master key unless another is given). */
  openai(apiKey?: string): OpenAI;
  /** Writes buffered spans now, so tests can read them. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface StartStackOptions {
  /**
   * Extra gantry.yaml content, merged over the default (provider `local` → the mock). A function
   * gets the mock's URL, for providers of other types pointed at it.
   */
  config?: Record<string, unknown> | ((mockUrl: string) => Record<string, unknown>);
  env?: Record<string, string>;
  /** Call middleware the gateway composes around every chat call, in this order. */
  middleware?: readonly CallMiddleware[];
}

/**
 * The real thing, really started: a mock provider and a gateway listening on 127.0.0.1, on
 * in-memory PGlite — or on the Postgres in DATABASE_URL when it is set (CI runs both).
 */
export async function startStack(options: StartStackOptions = {}): Promise<Stack> {
  const mock = await startMockProvider();
  const file = {
    providers: { local: { type: 'openai-compatible', base_url: `${mock.url}/v1` } },
    models: { fast: { targets: ['local/llama3'] } },
    pricing: { 'local/llama3': { input: 0.1, output: 0.2, cached_input: 0.05 } },
    ...(typeof options.config === 'function' ? options.config(mock.url) : options.config),
  };
  const config = loadConfig({ file, env: { GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_PORT: '0', ...options.env } });
  const databaseUrl = process.env.DATABASE_URL;
  const database = await createDatabase(databaseUrl ? { url: databaseUrl } : {});
  const gateway = await createGateway(config, { database, ...(options.middleware === undefined ? {} : { middleware: options.middleware }) });
  await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = gateway.app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    mock,
    gateway,
    database,
    url,
    openai: (apiKey = MASTER_KEY) => new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0, timeout: 20_000 }),
    flush: () => gateway.services.recorder.flush(),
    async close() {
      await gateway.close();
      await database.close();
      await mock.close();
    },
  };
}
