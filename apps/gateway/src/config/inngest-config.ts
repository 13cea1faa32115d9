import type { InngestReplayConfig } from '@gantry/evals-inngest';
import type { ConfigFile } from './config-schema.ts';
import { ConfigError } from './interpolate-env.ts';

/** Replays on Inngest (`@gantry/evals-inngest`, whose type this is: a type-only import loads nothing). */
export type InngestSettings = Omit<InngestReplayConfig, 'heartbeatMs'>;

type InngestFile = NonNullable<NonNullable<ConfigFile['replays']>['inngest']>;

/** Pair steps per provider when the file sets none: about what a provider's default rate limits bear. */
const DEFAULT_PROVIDER_CONCURRENCY = 8;

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `INNGEST_DEV` as a switch; the SDK also takes a URL there, which Gantry wants in INNGEST_BASE_URL. */
function readDevFlag(value: string | undefined): boolean | undefined {
  if (!value) return undefined;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new ConfigError(`INNGEST_DEV: must be 1 or 0, got '${value.slice(0, 100)}'; put the dev server's URL in INNGEST_BASE_URL`);
}

function readBaseUrl(env: NodeJS.ProcessEnv, file: InngestFile | undefined): string | undefined {
  const value = env.INNGEST_BASE_URL || file?.base_url || undefined;
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`INNGEST_BASE_URL: must be a URL (http:// or https://), got '${value.slice(0, 200)}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`INNGEST_BASE_URL: must be a URL (http:// or https://), got '${value.slice(0, 200)}'`);
  return value;
}

/**
 * Replays run on Inngest when `INNGEST_EVENT_KEY` or `INNGEST_BASE_URL` is set, or gantry.yaml has
 * `replays.inngest` (the variables override the file); otherwise undefined: in-process. Dev mode
 * (`INNGEST_DEV=1`) turns off request signatures, so it is refused unless the gateway listens on
 * loopback; outside it a signing key is required, without which every call from Inngest is refused.
 */
export function readInngestSettings(file: InngestFile | undefined, env: NodeJS.ProcessEnv, host: string): InngestSettings | undefined {
  const eventKey = env.INNGEST_EVENT_KEY || file?.event_key || undefined;
  const baseUrl = readBaseUrl(env, file);
  if (file === undefined && eventKey === undefined && baseUrl === undefined) return undefined;
  const dev = readDevFlag(env.INNGEST_DEV) ?? file?.dev ?? false;
  const signingKey = env.INNGEST_SIGNING_KEY || file?.signing_key || undefined;
  const signingKeyFallback = env.INNGEST_SIGNING_KEY_FALLBACK || file?.signing_key_fallback || undefined;
  if (dev && !isLoopbackHost(host)) {
    throw new ConfigError(
      `INNGEST_DEV=1 (replays.inngest.dev) turns off the signatures on Inngest's calls to /api/inngest, which run replays: allowed only when the gateway listens on loopback (server.host or GANTRY_HOST 127.0.0.1), not on '${host}'; set INNGEST_SIGNING_KEY instead`,
    );
  }
  if (!dev && signingKey === undefined) {
    throw new ConfigError('replays run on Inngest (INNGEST_EVENT_KEY, INNGEST_BASE_URL or replays.inngest is set) but INNGEST_SIGNING_KEY is not: Inngest signs its calls to /api/inngest with it, and unsigned calls are refused; set it, or INNGEST_DEV=1 for a local dev server');
  }
  return {
    ...(eventKey === undefined ? {} : { eventKey }),
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(signingKey === undefined ? {} : { signingKey }),
    ...(signingKeyFallback === undefined ? {} : { signingKeyFallback }),
    dev,
    providerConcurrency: file?.provider_concurrency ?? DEFAULT_PROVIDER_CONCURRENCY,
    ...(file?.retries === undefined ? {} : { retries: file.retries }),
  };
}
