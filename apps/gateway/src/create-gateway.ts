import type { FastifyInstance } from 'fastify';
import { createDatabase, migrate, timeOutIdleRuns, type Database } from '@gantry/db';
import { KeyAuthenticator } from '@gantry/policy';
import { createProvider, PriceBook, type Provider } from '@gantry/providers';
import { ModelResolver } from '@gantry/router';
import { RunRegistry, SpanRecorder } from '@gantry/runs';
import { buildApp, type BuildAppOptions } from './build-app.ts';
import type { GatewayConfig } from './config/load-config.ts';
import type { GatewayServices } from './gateway-services.ts';

export interface Gateway {
  app: FastifyInstance;
  services: GatewayServices;
  /** Stops accepting requests, flushes buffered spans, closes pools and the database. */
  close(): Promise<void>;
}

export interface CreateGatewayOptions extends BuildAppOptions {
  /** Use this database instead of opening one from the config (tests share one). */
  database?: Database;
  /** Called when span writes fail or spans are dropped. */
  onRecorderError?: (error: unknown, context: { dropped: number; buffered: number }) => void;
}

/** Opens the database, applies migrations and assembles a gateway instance from its config. */
export async function createGateway(config: GatewayConfig, options: CreateGatewayOptions = {}): Promise<Gateway> {
  const database = options.database ?? (await createDatabase(config.databaseUrl === undefined ? { dataDir: config.dataDir } : { url: config.databaseUrl }));
  await migrate(database);

  const providers = new Map<string, Provider>(config.providers.map((provider) => [provider.name, createProvider(provider)]));
  const recorder = new SpanRecorder(database.db, {
    maxBufferedSpans: config.recording.maxBufferedSpans,
    flushIntervalMs: config.recording.flushIntervalMs,
    ...(options.onRecorderError === undefined ? {} : { onError: options.onRecorderError }),
  });
  const services: GatewayServices = {
    config,
    database,
    providers,
    resolver: new ModelResolver(providers, config.aliases),
    prices: new PriceBook(config.pricing),
    authenticator: new KeyAuthenticator(database.db, { masterKey: config.masterKey }),
    recorder,
    runs: new RunRegistry(database.db, recorder),
    startedAt: Math.floor(Date.now() / 1000),
  };
  const app = await buildApp(services, options);

  // Every instance sweeps; the update is idempotent, so N instances behave like one.
  const sweeper = setInterval(() => {
    timeOutIdleRuns(database.db, new Date(Date.now() - config.runIdleTimeoutMs))
      .then((ended) => {
        for (const run of ended) {
          services.runs.forget(run.id);
          recorder.runEnded({ id: run.id, status: 'timed_out', endedAt: run.endedAt });
        }
      })
      .catch((error: unknown) => app.log.warn({ err: error }, 'idle run sweep failed; retrying on the next tick'));
  }, Math.min(60_000, Math.max(1_000, config.runIdleTimeoutMs / 4)));
  sweeper.unref();

  let closing: Promise<void> | undefined;
  return {
    app,
    services,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        await app.close();
        await services.recorder.close();
        await services.authenticator.close();
        await Promise.all([...providers.values()].map((provider) => provider.close()));
        if (options.database === undefined) await database.close();
      })();
      return closing;
    },
  };
}
