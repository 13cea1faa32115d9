import type { FastifyInstance } from 'fastify';
import type { CallMiddleware } from '@gantry/spec';
import { createDatabase, getRun, migrate, timeOutIdleRuns, type Database } from '@gantry/db';
import { pipelineCaller, pipelineEmbedder, ReplayRunner, type ReplayWorkDeps } from '@gantry/evals';
import { BudgetGuard, KeyAuthenticator, PolicyStore, ReservationSweeper } from '@gantry/policy';
import { createProvider, PriceBook, type Provider } from '@gantry/providers';
import { ModelResolver, Router } from '@gantry/router';
import { RunRegistry, SpanRecorder } from '@gantry/runs';
import { buildApp, type BuildAppOptions } from './build-app.ts';
import { ConfigError } from './config/interpolate-env.ts';
import { closeWithoutIdleSockets } from './close-server.ts';
import { endRunNow } from './end-run.ts';
import type { GatewayConfig } from './config/load-config.ts';
import type { GatewayServices } from './gateway-services.ts';
import { createGuardrails } from './guardrails-wiring.ts';
import { createResponseCache, startCacheSweeper } from './response-cache-wiring.ts';

export interface Gateway {
  app: FastifyInstance;
  services: GatewayServices;
  /** Milliseconds each start-up step took: opening the database, migrating it, loading policy, building the app. */
  startup: { databaseMs: number; migrationsMs: number; policyMs: number; appMs: number };
  /** Stops accepting requests, flushes buffered spans, closes pools and the database. */
  close(): Promise<void>;
}

export interface CreateGatewayOptions extends BuildAppOptions {
  /** Use this database instead of opening one from the config (tests share one). */
  database?: Database;
  /** Called when span writes fail or spans are dropped. */
  onRecorderError?: (error: unknown, context: { dropped: number; buffered: number }) => void;
  /** The clock budgets and rate limits use (tests move it across period boundaries). */
  now?: () => Date;
  /**
   * Around every chat call, in this order: request side first to last, result side last to first;
   * the recorder stores what was exchanged with whoever answered (see `CallMiddleware`).
   */
  middleware?: readonly CallMiddleware[];
}

/** Opens the database, applies migrations and assembles a gateway instance from its config. */
export async function createGateway(config: GatewayConfig, options: CreateGatewayOptions = {}): Promise<Gateway> {
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - mark);
    mark = now;
    return ms;
  };
  const database = options.database ?? (await createDatabase(
      config.databaseUrl === undefined
        ? { dataDir: config.dataDir, ...(config.pgliteSharedBuffersMb === undefined ? {} : { pgliteSharedBuffersMb: config.pgliteSharedBuffersMb }) }
        : { url: config.databaseUrl, timeouts: config.databaseTimeouts },
    ));
  const databaseMs = lap();
  await migrate(database);
  const migrationsMs = lap();

  const providers = new Map<string, Provider>(config.providers.map((provider) => [provider.name, createProvider(provider)]));
  // Writes no call waits on take the background lane: on PGlite a call's own statements go first.
  const recorder = new SpanRecorder(database.backgroundDb, {
    enabled: config.recording.enabled,
    maxBufferedSpans: config.recording.maxBufferedSpans,
    flushIntervalMs: config.recording.flushIntervalMs,
    ...(options.onRecorderError === undefined ? {} : { onError: options.onRecorderError }),
  });
  // Trace export is opt-in, by the standard OTel variables; the SDK is loaded only then.
  const traces = process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? (await import('@gantry/runs/otel')).createOtelListener({
        providerTypes: new Map(config.providers.map((provider) => [provider.name, provider.type])),
        lookupRun: (id) => getRun(database.db, id),
      })
    : undefined;
  if (traces !== undefined) recorder.addListener(traces);
  const resolver = new ModelResolver(providers, config.aliases);
  // Ledger writes off the request path (settlements, lease syncs) report here; set once the app (and its logger) exists.
  let reportLedgerError = (error: unknown) => console.error('gantry: budget ledger write failed', error);
  let reportRecordError = (error: unknown, spanId: string) => console.error(`gantry: recording call ${spanId} failed`, error);
  let reportReplayError = (error: unknown, replayId: string) => console.error(`gantry: replay ${replayId} failed`, error);
  let reportCacheError = (error: unknown) => console.error('gantry: a cache read or write failed', error);
  let reportGuardrailError = (error: unknown) => console.error('gantry: a pseudonym map read or write failed', error);
  // Before the cache: it keys and stores what the guardrails left (placeholders, never values).
  const guardrails = createGuardrails(config, database, (error) => reportGuardrailError(error));
  // Innermost of the middleware: what it keys and stores is the request as the others left it (redacted, say).
  const cache = createResponseCache(config, database, () => services, (error) => reportCacheError(error));
  const policy = new PolicyStore(database.db, { refreshMs: config.budgets.refreshMs });
  await policy.reload();
  const policyMs = lap();
  // Replays at scale run on Inngest when it is configured; its SDK (an optional package) is loaded only then.
  // Replayed calls take the same pipeline as live ones: budgeted, routed, recorded.
  const replayDeps: ReplayWorkDeps = {
    db: database.db,
    call: (input, signal) => replayCall(input, signal),
    embed: (input, signal) => replayEmbed(input, signal),
    endRun: async (id, status) => void (await endRunNow(services, id, status)),
  };
  const onReplayError = (error: unknown, replayId: string) => reportReplayError(error, replayId);
  const inngest = config.replays.inngest === undefined ? undefined : await importInngestReplays();
  const inngestReplays =
    inngest === undefined || config.replays.inngest === undefined
      ? undefined
      : inngest.createInngestReplays({
          config: { ...config.replays.inngest, heartbeatMs: config.replays.heartbeatMs },
          deps: {
            ...replayDeps,
            // Pairs' concurrency is keyed by the provider of the candidate's first target.
            providerOf: (candidate) => services.router.route(candidate).targets[0]?.provider.name ?? candidate,
            onError: onReplayError,
          },
        });
  const services: GatewayServices = {
    config,
    database,
    providers,
    resolver,
    router: new Router(resolver, config.routing),
    prices: new PriceBook(config.pricing),
    authenticator: new KeyAuthenticator(database.db, { masterKey: config.masterKey }),
    recorder,
    runs: new RunRegistry(database.db, recorder),
    policy,
    budgets: new BudgetGuard(database.db, policy, {
      backgroundDb: database.backgroundDb,
      parallelTimeoutMs: config.budgets.parallelTimeoutMs,
      leases: { aheadCalls: config.budgets.leaseAheadCalls },
      onError: (error) => reportLedgerError(error),
      ...(options.now === undefined ? {} : { now: options.now }),
    }),
    middleware: [...(options.middleware ?? []), ...(guardrails === undefined ? [] : [guardrails.middleware]), ...(cache === undefined ? [] : [cache])],
    calls: {
      storeRaw: config.recording.storeRaw,
      defaultMaxOutputTokens: config.budgets.defaultMaxOutputTokens,
      onRecordError: (error, spanId) => reportRecordError(error, spanId),
    },
    replays:
      inngestReplays ??
      new ReplayRunner(replayDeps, { heartbeatMs: config.replays.heartbeatMs, staleAfterMs: config.replays.staleAfterMs, onError: onReplayError }),
    startedAt: Math.floor(Date.now() / 1000),
  };
  const replayCall = pipelineCaller(services);
  const replayEmbed = pipelineEmbedder(services);
  const app = await buildApp(services, options);
  // Inngest signs its calls (INNGEST_SIGNING_KEY); they carry no Gantry key.
  inngestReplays?.serve(app, { auth: 'public' });
  const startup = { databaseMs, migrationsMs, policyMs, appMs: lap() };
  reportRecordError = (error, spanId) => app.log.error({ err: error, spanId }, 'recording a call failed');
  reportReplayError = (error, replayId) => app.log.error({ err: error, replayId }, 'a replay failed');
  reportGuardrailError = (error) => app.log.warn({ err: error }, 'a pseudonym map read or write failed; the call used placeholders of its own (values were still never sent)');
  reportCacheError = (error) => app.log.warn({ err: error }, 'a cache read or write failed; the call went on as a miss, or only its caching was lost');
  const cacheSweeper = cache === undefined ? undefined : startCacheSweeper(database.backgroundDb, (error) => app.log.warn({ err: error }, 'expired cache entry sweep failed; retrying on the next tick'));
  reportLedgerError = (error) => app.log.warn({ err: error }, 'budget ledger write failed; it is retried, and calls are refused (503) once leases lapse');

  // Every instance sweeps; the update is idempotent, so N instances behave like one.
  const sweeper = setInterval(() => {
    timeOutIdleRuns(database.backgroundDb, new Date(Date.now() - config.runIdleTimeoutMs))
      .then((ended) => {
        for (const run of ended) {
          services.runs.forget(run.id);
          recorder.runEnded({ id: run.id, status: 'timed_out', endedAt: run.endedAt });
        }
      })
      .catch((error: unknown) => app.log.warn({ err: error }, 'idle run sweep failed; retrying on the next tick'));
  }, Math.min(60_000, Math.max(1_000, config.runIdleTimeoutMs / 4)));
  sweeper.unref();
  // Every instance sweeps expired reservations too; gantry_sweep closes each exactly once however many do.
  const reservationSweeper = new ReservationSweeper(database.backgroundDb, {
    expiryMs: config.budgets.reservationExpiryMs,
    onError: (error) => app.log.warn({ err: error }, 'expired reservation sweep failed; retrying on the next tick'),
    onSwept: (swept) => app.log.warn(swept, 'closed budget reservations never settled (their instance stopped, or the database was away past their expiry)'),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  reservationSweeper.start();
  // Replays whose instance died are taken over (the first look at once, then every heartbeat).
  void services.replays.tick?.();

  const closeApp = closeWithoutIdleSockets(app.server);
  let closing: Promise<void> | undefined;
  return {
    app,
    services,
    startup,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        cacheSweeper?.close();
        guardrails?.close();
        await reservationSweeper.close();
        await services.replays.close();
        await closeApp(() => app.close());
        await cache?.close();
        await services.recorder.close();
        policy.close();
        await services.budgets.close();
        await traces?.shutdown();
        await services.authenticator.close();
        await Promise.all([...providers.values()].map((provider) => provider.close()));
        if (options.database === undefined) await database.close();
      })();
      return closing;
    },
  };
}

/** `@gantry/evals-inngest`, loaded on demand: an install without it replays in-process only. */
async function importInngestReplays(): Promise<typeof import('@gantry/evals-inngest')> {
  try {
    return await import('@gantry/evals-inngest');
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes('evals-inngest')) {
      throw new ConfigError(
        'replays are configured to run on Inngest (INNGEST_EVENT_KEY, INNGEST_BASE_URL or replays.inngest) but @gantry/evals-inngest is not installed: install it (pnpm install with optional dependencies), or unset those to replay in-process',
      );
    }
    throw error;
  }
}
