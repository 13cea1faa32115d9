import { eq, sql } from 'drizzle-orm';
import fastifyPlugin from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import { runs } from '@gantry/db';
import { GatewayMetrics } from './gateway-metrics.ts';
import { MetricLabels } from './metric-labels.ts';
import { metricsListener } from './metrics-listener.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: GatewayMetrics;
  }
}

/**
 * The instance's Prometheus metrics: fed by a recorder listener (calls, tokens, cost, errors),
 * an onResponse hook (requests by route and status) and scrape-time reads (recorder buffers,
 * open runs). Served by the metrics route.
 */
const metricsPlugin: FastifyPluginAsync = async (app) => {
  const { recorder, database, providers, config } = app.gantry;
  const metrics = new GatewayMetrics({
    recorderStats: () => recorder.getStats(),
    // Served by runs_status_last_activity_at_idx.
    countOpenRuns: () => database.db.$count(runs, eq(runs.status, 'running')),
    transactionIdAge: async () => {
      const { rows } = await database.backgroundDb.execute<{ age: number }>(sql`select max(age(datfrozenxid))::float8 as age from pg_database`);
      return rows[0]!.age;
    },
  });
  const labels = new MetricLabels({ providers: providers.values(), aliases: config.aliases, pricedModels: Object.keys(config.pricing) });
  recorder.addListener(metricsListener(metrics, labels));
  app.decorate('metrics', metrics);
  app.addHook('onResponse', (request, reply, done) => {
    metrics.requests.inc({ route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) });
    done();
  });
};

export default fastifyPlugin(metricsPlugin, { name: 'gantry-metrics', fastify: '5.x', dependencies: ['gantry-services'] });
