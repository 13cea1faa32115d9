import { Inngest, type Logger } from 'inngest';

/** Where the Inngest server is and how Gantry talks to it (gantry.yaml `replays.inngest`, or `INNGEST_*`). */
export interface InngestReplayConfig {
  /** Sends events (`INNGEST_EVENT_KEY`); any value for a dev server. */
  eventKey?: string;
  /** The Inngest server (`INNGEST_BASE_URL`); Inngest Cloud when absent. */
  baseUrl?: string;
  /** Checks that requests to `/api/inngest` come from Inngest (`INNGEST_SIGNING_KEY`); not needed in dev mode. */
  signingKey?: string;
  signingKeyFallback?: string;
  /** Dev mode (`INNGEST_DEV=1`): no request signatures. The gateway allows it only on a loopback address. */
  dev: boolean;
  /** Pair steps in flight per provider, across every replay and every instance Inngest calls. */
  providerConcurrency: number;
  /** How often a pair in flight renews its replay's heartbeat and checks it was not cancelled, in milliseconds. Default 10 s. */
  heartbeatMs?: number;
  /** Tries of a failing pair step after the first (Inngest's default: 3); then the replay ends as failed. */
  retries?: number;
}

/** Inngest accepts 0 to 20 retries; the config schema keeps to that range. */
export type Retries = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17 | 18 | 19 | 20;

/**
 * The `gantry` Inngest client. Every setting comes from the config, not from the SDK reading the
 * environment on its own, so a test's or a file's settings are the ones used; the SDK's AI
 * metadata extraction (an OpenTelemetry span processor on the global provider) is off.
 */
export function createInngestClient(config: InngestReplayConfig, logger?: Logger): Inngest {
  return new Inngest({
    id: 'gantry',
    isDev: config.dev,
    aiMetadata: false,
    ...(config.eventKey === undefined ? {} : { eventKey: config.eventKey }),
    ...(config.baseUrl === undefined ? {} : { baseUrl: config.baseUrl }),
    ...(config.signingKey === undefined ? {} : { signingKey: config.signingKey }),
    ...(config.signingKeyFallback === undefined ? {} : { signingKeyFallback: config.signingKeyFallback }),
    ...(logger === undefined ? {} : { logger }),
  });
}
