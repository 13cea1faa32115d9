import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { connectionCap, createClientErrorHandler } from './client-connection-limits.ts';
import type { ClientConnectionLimits } from './config/load-config.ts';
import type { GatewayServices } from './gateway-services.ts';
import metricsPlugin from './metrics/metrics-plugin.ts';
import authPlugin, { requireMasterKey } from './plugins/auth-plugin.ts';
import errorHandlerPlugin from './plugins/error-handler-plugin.ts';
import servicesPlugin from './plugins/services-plugin.ts';
import adminBudgetsRoutes from './routes/admin-budgets-routes.ts';
import adminCacheRoute from './routes/admin-cache-route.ts';
import adminCustomersRoutes from './routes/admin-customers-routes.ts';
import adminKeysRoutes from './routes/admin-keys-routes.ts';
import adminRunLimitsRoutes from './routes/admin-run-limits-routes.ts';
import adminTeamsRoutes from './routes/admin-teams-routes.ts';
import adminTargetsRoute from './routes/admin-targets-route.ts';
import chatCompletionsRoute from './routes/chat-completions-route.ts';
import consoleRoute from './routes/console-route.ts';
import embeddingsRoute from './routes/embeddings-route.ts';
import healthRoutes from './routes/health-routes.ts';
import metricsRoute from './routes/metrics-route.ts';
import messagesRoutes from './routes/messages-routes.ts';
import responsesRoutes from './routes/responses-routes.ts';
import modelsRoute from './routes/models-route.ts';
import runsRoutes from './routes/runs-routes.ts';
import datasetsRoutes from './routes/datasets-routes.ts';
import replaysRoutes from './routes/replays-routes.ts';
import spendRoute from './routes/spend-route.ts';
import cacheCalibrationsRoutes from './routes/cache-calibrations-routes.ts';
import cacheTrafficRoutes from './routes/cache-traffic-routes.ts';
import meRoute from './routes/me-route.ts';
import budgetsRoute from './routes/budgets-route.ts';
import { registerJsonBodyParser } from './plugins/json-body-parser.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route the app serves, the HEAD routes fastify adds for GETs included, in registration order. */
    registeredRoutes: readonly RegisteredRoute[];
  }
}

/** One method and path the app answers, as registered (`/v1/runs/:id`). */
export interface RegisteredRoute {
  method: string;
  url: string;
}

export interface BuildAppOptions {
  /** Fastify logger: true, false, or pino options. */
  logger?: boolean | Record<string, unknown>;
}

/**
 * The whole HTTP surface, registered explicitly in tiers so the order is visible in one place:
 * external concerns (errors), then the app (services, auth), then routes. Every route needs a key
 * unless it says `auth: 'public'`; the master-only routes share one context that requires the master key.
 */
export async function buildApp(services: GatewayServices, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { connections } = services.config;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: services.config.bodyLimit,
    // Node's request timeout bounds only receiving a request (from its first byte until the body is
    // complete), never sending the response: streams of many minutes are not cut.
    requestTimeout: connections.bodyTimeoutMs,
    keepAliveTimeout: connections.idleTimeoutMs,
    http: {
      headersTimeout: connections.headerTimeoutMs,
      requestTimeout: connections.bodyTimeoutMs,
      // Node checks both timeouts on this tick (default 30 s, which would let a 1 s limit last 31 s).
      connectionsCheckingInterval: connectionsCheckingInterval(connections),
    },
    clientErrorHandler: createClientErrorHandler(connections),
    // One log line per request costs more than the rest of the hot path; spans record every call.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Run ids are up to 128 characters and tool span ids embed one (`tool:<run>:<call>`): the
    // default of 100 would answer 414 for ids the gateway itself accepted.
    routerOptions: { maxParamLength: 512 },
  });
  // The API speaks JSON only: without this, fastify's built-in text/plain parser would hand routes a
  // string and a text/plain body would get a misleading 400 instead of 415 Unsupported Media Type.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  registerJsonBodyParser(app);
  const registeredRoutes: RegisteredRoute[] = [];
  app.decorate('registeredRoutes', registeredRoutes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registeredRoutes.push({ method, url: route.url });
  });

  // Tier 1: external
  await app.register(connectionCap, { maxPerAddress: connections.maxPerAddress });
  await app.register(errorHandlerPlugin, { bodyLimit: services.config.bodyLimit });
  // Tier 2: app
  await app.register(servicesPlugin, { services });
  await app.register(authPlugin);
  await app.register(metricsPlugin);
  // Tier 3: routes
  await app.register(healthRoutes);
  await app.register(metricsRoute);
  await app.register(modelsRoute);
  await app.register(chatCompletionsRoute);
  await app.register(messagesRoutes);
  await app.register(responsesRoutes);
  await app.register(embeddingsRoute);
  await app.register(runsRoutes);
  await app.register(datasetsRoutes);
  await app.register(replaysRoutes);
  await app.register(spendRoute);
  await app.register(cacheCalibrationsRoutes);
  await app.register(cacheTrafficRoutes);
  await app.register(meRoute);
  await app.register(budgetsRoute);
  await app.register(consoleRoute);
  // Master key only: the check is made once, by this context's hook, not declared route by route.
  await app.register(async (admin) => {
    admin.addHook('onRequest', requireMasterKey);
    await admin.register(adminKeysRoutes);
    await admin.register(adminTeamsRoutes);
    await admin.register(adminCustomersRoutes);
    await admin.register(adminBudgetsRoutes);
    await admin.register(adminRunLimitsRoutes);
    await admin.register(adminTargetsRoute);
    await admin.register(adminCacheRoute);
  });
  return app;
}

/** A quarter of the shortest request timeout, between 50 ms and 1 s: late by at most that much, at the cost of one scan of open connections per tick. */
function connectionsCheckingInterval(connections: ClientConnectionLimits): number {
  const timeouts = [connections.headerTimeoutMs, connections.bodyTimeoutMs].filter((timeout) => timeout > 0);
  return Math.min(1_000, Math.max(50, Math.floor(Math.min(4_000, ...timeouts) / 4)));
}

