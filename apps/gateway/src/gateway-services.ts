import type { Database } from '@gantry/db';
import type { KeyAuthenticator } from '@gantry/policy';
import type { PriceBook, Provider } from '@gantry/providers';
import type { ModelResolver } from '@gantry/router';
import type { RunRegistry, SpanRecorder } from '@gantry/runs';
import type { GatewayConfig } from './config/load-config.ts';

/** The long-lived parts a gateway instance is made of, shared by every route. */
export interface GatewayServices {
  config: GatewayConfig;
  database: Database;
  providers: ReadonlyMap<string, Provider>;
  resolver: ModelResolver;
  prices: PriceBook;
  authenticator: KeyAuthenticator;
  recorder: SpanRecorder;
  runs: RunRegistry;
  /** Unix seconds the instance started; `created` of listed models. */
  startedAt: number;
}
