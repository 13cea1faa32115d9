import type { CallServices } from '@gantry/calls';
import type { Database } from '@gantry/db';
import type { ReplayExecutor } from '@gantry/evals';
import type { BudgetGuard, KeyAuthenticator, PolicyStore } from '@gantry/policy';
import type { PriceBook, Provider } from '@gantry/providers';
import type { ModelResolver, Router } from '@gantry/router';
import type { RunRegistry, SpanRecorder } from '@gantry/runs';
import type { GatewayConfig } from './config/load-config.ts';

/** The long-lived parts a gateway instance is made of, shared by every route; calls use the `CallServices` part. */
export interface GatewayServices extends CallServices {
  config: GatewayConfig;
  database: Database;
  providers: ReadonlyMap<string, Provider>;
  resolver: ModelResolver;
  /** Targets, fallbacks, retries, breakers and run stickiness; `router.snapshot()` feeds /metrics and /admin/targets. */
  router: Router;
  prices: PriceBook;
  authenticator: KeyAuthenticator;
  recorder: SpanRecorder;
  runs: RunRegistry;
  /** Keys' limits, teams, customers and budgets, in memory. */
  policy: PolicyStore;
  /** Budgets, run limits and rate limits: reserve before a call, settle after. */
  budgets: BudgetGuard;
  /** Replays of datasets: run by this instance (resuming those whose instance died), or sent to Inngest. */
  replays: ReplayExecutor;
  /** Unix seconds the instance started; `created` of listed models. */
  startedAt: number;
}
