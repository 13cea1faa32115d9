import type { FastifyPluginAsync } from 'fastify';

/**
 * `GET /admin/targets` (master key): every target's circuit breaker and recent latency, the
 * gateway-wide retry budget, and each alias's routing settings. The same data as
 * `router.snapshot()`, which /metrics reads.
 */
const adminTargetsRoute: FastifyPluginAsync = async (app) => {
  app.get('/admin/targets', async () => {
    const { targets, retryBudget } = app.gantry.router.snapshot();
    return {
      data: targets.map((target) => ({
        target: target.target,
        state: target.state,
        consecutive_failures: target.consecutiveFailures,
        window_calls: target.windowCalls,
        window_failures: target.windowFailures,
        opened_times: target.openedTimes,
        retry_at: target.retryAt ?? null,
        last_failure: target.lastFailure ?? null,
        latency_ms: target.latencyMs ?? null,
      })),
      retry_budget: { window_requests: retryBudget.requests, window_retries: retryBudget.retries, allowed_retries: Math.floor(retryBudget.allowed), denied: retryBudget.denied },
      aliases: Object.fromEntries(
        app.gantry.router.resolver.listAliases().map(([name, alias]) => [
          name,
          {
            strategy: alias.strategy ?? 'fallback',
            sticky: alias.sticky ?? 'run',
            targets: alias.targets.map((target) => (typeof target === 'string' ? target : target.ref)),
          },
        ]),
      ),
    };
  });
};

export default adminTargetsRoute;
