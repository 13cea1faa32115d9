import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';
import type { Inngest, Logger } from 'inngest';
import { serve } from 'inngest/fastify';
import { endReplay, type ReplayRow } from '@gantry/db';
import type { ReplayExecutor } from '@gantry/evals';
import { PermissionDeniedError } from '@gantry/spec';
import { createInngestClient, type InngestReplayConfig, type Retries } from './inngest-client.ts';
import { REPLAY_CANCELLED, REPLAY_REQUESTED } from './replay-events.ts';
import { createPairFunction, createPlanFunction } from './replay-functions.ts';
import { errorText, ReplaySteps, type InngestReplayDeps } from './replay-steps.ts';
import { SdkLogger, type LogSink } from './sdk-logger.ts';

/** Where Inngest calls the functions. */
export const INNGEST_PATH = '/api/inngest';

export interface InngestReplaysOptions {
  deps: InngestReplayDeps;
  config: InngestReplayConfig;
  /** The SDK's own messages (registration, signature failures); the serving app's logger when absent. */
  logger?: Logger;
}

/** Replays run by Inngest: the executor the gateway uses instead of the in-process runner, and the route Inngest calls. */
export interface InngestReplays extends ReplayExecutor {
  /**
   * Serves the functions at `/api/inngest` (GET introspection, PUT sync, POST step calls); `config`
   * is the route's fastify config (the gateway's `{ auth: 'public' }`: Inngest signs its requests
   * with the signing key, it has no Gantry key). In dev mode only loopback callers are answered.
   * From then on the SDK logs through the app's logger (unless `logger` was given).
   */
  serve(app: FastifyInstance, config?: FastifyContextConfig): void;
  readonly client: Inngest;
  readonly functions: readonly [ReturnType<typeof createPlanFunction>, ReturnType<typeof createPairFunction>];
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** Dev mode signs nothing: a caller that is not on this machine could run replays. */
async function loopbackOnly(request: FastifyRequest): Promise<void> {
  if (!LOOPBACK.test(request.socket.remoteAddress ?? '')) {
    throw new PermissionDeniedError(`${INNGEST_PATH} answers only loopback callers in Inngest dev mode (INNGEST_DEV=1), whose requests are not signed; set INNGEST_SIGNING_KEY instead of INNGEST_DEV for a reachable gateway`);
  }
}

function retriesOf(config: InngestReplayConfig): Retries | undefined {
  return config.retries === undefined ? undefined : (Math.min(20, Math.max(0, Math.trunc(config.retries))) as Retries);
}

/**
 * Replays at scale on Inngest: `start` sends `gantry/replay.requested` (a replay whose event cannot
 * be sent ends as failed, saying so), `stop` sends `gantry/replay.cancelled` and stops the pairs
 * in flight here, `close` stops them all (Inngest retries their steps elsewhere). Nothing runs in
 * this process until Inngest calls `/api/inngest`.
 */
export function createInngestReplays(options: InngestReplaysOptions): InngestReplays {
  const { deps, config } = options;
  const sdkLogger = new SdkLogger();
  const client = createInngestClient(config, options.logger ?? sdkLogger);
  const steps = new ReplaySteps(deps, config.heartbeatMs ?? 10_000);
  const retries = retriesOf(config);
  const functions = [createPlanFunction(client, steps), createPairFunction(client, steps, { providerConcurrency: config.providerConcurrency, ...(retries === undefined ? {} : { retries }) })] as const;
  const sending = new Set<Promise<void>>();
  const now = deps.now ?? (() => new Date());
  let closed = false;

  function track(send: Promise<unknown>, onFailure: (error: unknown) => Promise<void> | void): void {
    const settled = send.then(
      () => undefined,
      async (error: unknown) => {
        try {
          await onFailure(error);
        } catch (failure) {
          deps.onError(failure, 'inngest');
        }
      },
    );
    sending.add(settled);
    void settled.finally(() => sending.delete(settled));
  }

  return {
    client,
    functions,
    start(row: ReplayRow) {
      if (closed) return;
      track(client.send({ name: REPLAY_REQUESTED, data: { replay_id: row.id } }), async (error) => {
        deps.onError(error, row.id);
        const where = config.baseUrl ?? 'Inngest Cloud';
        await endReplay(deps.db, row.id, 'failed', now(), `could not send the replay to Inngest at ${where}: ${errorText(error)}; check INNGEST_BASE_URL and INNGEST_EVENT_KEY, then start a new replay`);
      });
    },
    stop(id: string) {
      steps.stop(id);
      track(client.send({ name: REPLAY_CANCELLED, data: { replay_id: id } }), (error) => deps.onError(error, id));
    },
    async close() {
      closed = true;
      await Promise.allSettled([steps.close(), ...sending]);
    },
    serve(app: FastifyInstance, routeConfig?: FastifyContextConfig) {
      sdkLogger.sink = app.log as unknown as LogSink;
      app.route<{ Querystring: Record<string, string | undefined> }>({
        method: ['GET', 'POST', 'PUT'],
        url: INNGEST_PATH,
        ...(routeConfig === undefined ? {} : { config: routeConfig }),
        ...(config.dev ? { onRequest: loopbackOnly } : {}),
        handler: serve({ client, functions: [...functions] }),
      });
    },
  };
}
