import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { formatIssuePath } from '@gantry/formats';
import { DEFAULT_RESERVATION_EXPIRY_MS } from '@gantry/policy';
import type { CreateDatabaseOptions } from '@gantry/db';
import { DEFAULT_BASE_URLS, type ModelPrice, type ProviderConfig } from '@gantry/providers';
import { readAliases, readRoutingOptions, type ModelAlias, type RoutingOptions } from '@gantry/router';
import { configSchema, type ConfigFile } from './config-schema.ts';
import { readInngestSettings, type InngestSettings } from './inngest-config.ts';
import { readCacheConfig, type GatewayCacheConfig } from './cache-config.ts';
import { readGuardrailsConfig, type GatewayGuardrailsConfig } from './guardrails-config.ts';
import { ConfigError, interpolateEnv } from './interpolate-env.ts';

/**
 * PGlite's page cache when a semantic cache is configured and none is set: its vector-index lookups
 * read many pages, and re-reading them through the OS costs more than holding them.
 */
const SEMANTIC_CACHE_SHARED_BUFFERS_MB = 128;

/** Everything the gateway needs to start, resolved from gantry.yaml and the environment. */
export interface GatewayConfig {
  host: string;
  port: number;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** What a client connection may cost: how long sending a request may take, idling, and how many per address. */
  connections: ClientConnectionLimits;
  /** Postgres URL; when absent, embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  /** Postgres: how long to wait for a connection and for each statement (unset fields: the database package's defaults). */
  databaseTimeouts: NonNullable<CreateDatabaseOptions['timeouts']>;
  dataDir: string;
  /** Embedded PGlite's `shared_buffers` in MiB; unset: the database package's default (more with a semantic cache). */
  pgliteSharedBuffersMb: number | undefined;
  masterKey: string | undefined;
  providers: ProviderConfig[];
  aliases: Record<string, ModelAlias>;
  /** Gateway-wide retry budget and circuit breakers. */
  routing: RoutingOptions;
  /** Prices by `provider/model`, USD per million tokens. */
  pricing: Record<string, ModelPrice>;
  recording: { enabled: boolean; storeRaw: boolean; maxBufferedSpans: number; flushIntervalMs: number };
  /**
   * Reservation defaults and how fresh each instance's view of limits is; `reservationExpiryMs`:
   * after this long a per-call reservation never settled is closed by the sweeper.
   */
  budgets: { defaultMaxOutputTokens: number; refreshMs: number; parallelTimeoutMs: number; leaseAheadCalls: number; reservationExpiryMs: number };
  /** Milliseconds without a call after which a run ends as `timed_out`. */
  runIdleTimeoutMs: number;
  /**
   * Replays: default worker count, heartbeat interval, and when a replay counts as abandoned by its
   * instance; `inngest`, when set, runs them on Inngest instead of in-process.
   */
  replays: { defaultWorkers: number; heartbeatMs: number; staleAfterMs: number; inngest: InngestSettings | undefined };
  /** The response cache: defaults, per model, per key (off unless configured). */
  cache: GatewayCacheConfig;
  /** PII and prompt-injection guardrails (off unless configured). */
  guardrails: GatewayGuardrailsConfig | undefined;
  /** Where the config came from, for the start banner. */
  source: string;
  /**
   * No gantry.yaml and no provider key in the environment: the only provider is `mock`, the bundled
   * mock provider (`pnpm mock`) on 127.0.0.1:$MOCK_PORT, so a first start has somewhere to send calls.
   */
  bundledMockOnly: boolean;
}

/**
 * Bounds on client connections, so that slow or numerous connections from one client cannot
 * exhaust the server for the others. None of them bounds sending a response: streams of many
 * minutes are never cut.
 */
export interface ClientConnectionLimits {
  /** Milliseconds from a request's first byte until its headers must be complete; 0: no limit. */
  headerTimeoutMs: number;
  /** Milliseconds from a request's first byte until its whole body must have arrived; 0: no limit. */
  bodyTimeoutMs: number;
  /** Milliseconds a keep-alive connection may wait for its next request. */
  idleTimeoutMs: number;
  /** Open connections one client address may hold; 0: no cap. */
  maxPerAddress: number;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** An already-parsed config object (tests); skips reading a file. */
  file?: unknown;
}

/** Providers from well-known environment variables, used when no config file exists. */
function providersFromEnvironment(env: NodeJS.ProcessEnv): ConfigFile['providers'] {
  const providers: NonNullable<ConfigFile['providers']> = {};
  if (env.OPENAI_API_KEY) providers.openai = { type: 'openai', api_key: env.OPENAI_API_KEY };
  if (env.ANTHROPIC_API_KEY) providers.anthropic = { type: 'anthropic', api_key: env.ANTHROPIC_API_KEY };
  if (env.GEMINI_API_KEY) providers.gemini = { type: 'gemini', api_key: env.GEMINI_API_KEY };
  return providers;
}

/**
 * With nothing configured, the bundled mock provider (`pnpm mock`), priced like gpt-4o-mini so runs
 * show costs: a first start answers its own printed example once the mock runs.
 */
function bundledMock(env: NodeJS.ProcessEnv): Pick<ConfigFile, 'providers' | 'pricing'> {
  const price = { input: 0.15, output: 0.6, cached_input: 0.075 };
  return {
    providers: { mock: { type: 'openai-compatible', base_url: `http://127.0.0.1:${env.MOCK_PORT || 4010}/v1` } },
    pricing: { 'mock/gpt-4o-mini': price, 'mock/agent': price },
  };
}

export function loadConfig(options: LoadConfigOptions = {}): GatewayConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let raw: unknown = options.file;
  let source = 'inline';
  let bundledMockOnly = false;
  if (raw === undefined) {
    const path = resolve(cwd, env.GANTRY_CONFIG || 'gantry.yaml');
    if (existsSync(path)) {
      source = path;
      try {
        raw = parseYaml(readFileSync(path, 'utf8')) ?? {};
      } catch (error) {
        throw new ConfigError(`${path}: not valid YAML: ${(error as Error).message}`);
      }
    } else if (env.GANTRY_CONFIG) {
      throw new ConfigError(`GANTRY_CONFIG points to ${path}, which does not exist`);
    } else {
      const providers = providersFromEnvironment(env);
      bundledMockOnly = Object.keys(providers ?? {}).length === 0;
      source = bundledMockOnly ? 'none (no gantry.yaml, no provider key in the environment): the bundled mock provider only' : 'environment (no gantry.yaml)';
      raw = bundledMockOnly ? bundledMock(env) : { providers };
    }
  }

  const parsed = configSchema.safeParse(interpolateEnv(raw, env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${formatIssuePath(issue.path) || '(root)'}: ${issue.message}`);
    throw new ConfigError(`invalid config (${source}):\n${lines.join('\n')}`);
  }
  const file = parsed.data;

  const providers: ProviderConfig[] = [];
  for (const [name, provider] of Object.entries(file.providers ?? {})) {
    const baseUrl = provider.base_url ?? DEFAULT_BASE_URLS[provider.type];
    if (baseUrl === undefined) throw new ConfigError(`providers.${name}.base_url: required for type ${provider.type}`);
    providers.push({
      name,
      type: provider.type,
      baseUrl,
      ...(provider.api_key === undefined ? {} : { apiKey: provider.api_key }),
      ...(provider.headers === undefined ? {} : { headers: provider.headers }),
      ...(provider.max_connections === undefined ? {} : { maxConnections: provider.max_connections }),
      ...(provider.timeout_ms === undefined ? {} : { timeoutMs: provider.timeout_ms }),
      ...(provider.api_version === undefined ? {} : { apiVersion: provider.api_version }),
      ...(provider.api === undefined ? {} : { api: provider.api }),
    });
  }

  const providerNames = new Set(providers.map((provider) => provider.name));
  const { aliases, problems } = readAliases(file.models ?? {}, providerNames);
  if (problems.length > 0) throw new ConfigError(problems.length === 1 ? problems[0]! : `invalid config (${source}):\n${problems.map((problem) => `  ${problem}`).join('\n')}`);

  const pricing: Record<string, ModelPrice> = {};
  for (const [key, price] of Object.entries(file.pricing ?? {})) {
    pricing[key] = {
      input: price.input,
      output: price.output,
      ...(price.cached_input === undefined ? {} : { cachedInput: price.cached_input }),
      ...(price.cache_write === undefined ? {} : { cacheWrite: price.cache_write }),
    };
  }

  // An empty variable counts as unset, as in ${VAR} interpolation (compose files often pass VAR= ).
  const port = env.GANTRY_PORT ? Number(env.GANTRY_PORT) : (file.server?.port ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`GANTRY_PORT: must be a port number 0-65535, got '${env.GANTRY_PORT}'`);
  const bodyLimit = env.GANTRY_BODY_LIMIT ? Number(env.GANTRY_BODY_LIMIT) : (file.server?.body_limit ?? 10 * 1024 * 1024);
  if (!Number.isInteger(bodyLimit) || bodyLimit <= 0) throw new ConfigError(`GANTRY_BODY_LIMIT: must be a positive number of bytes, got '${env.GANTRY_BODY_LIMIT}'`);
  const connections = readConnectionLimits(file.server);
  const host = env.GANTRY_HOST || file.server?.host || '127.0.0.1';

  return {
    host,
    port,
    bodyLimit,
    connections,
    databaseUrl: env.DATABASE_URL || file.database?.url || undefined,
    databaseTimeouts: {
      ...(file.database?.connect_timeout_ms === undefined ? {} : { connectMs: file.database.connect_timeout_ms }),
      ...(file.database?.query_timeout_ms === undefined ? {} : { queryMs: file.database.query_timeout_ms }),
    },
    dataDir: resolve(cwd, env.GANTRY_DATA_DIR || file.database?.data_dir || '.gantry'),
    pgliteSharedBuffersMb: file.database?.pglite_shared_buffers_mb ?? (file.cache?.semantic === undefined ? undefined : SEMANTIC_CACHE_SHARED_BUFFERS_MB),
    masterKey: env.GANTRY_MASTER_KEY || undefined,
    providers,
    aliases,
    routing: readRoutingOptions(file.routing),
    pricing,
    recording: {
      enabled: file.recording?.enabled ?? true,
      storeRaw: file.recording?.store_raw ?? true,
      maxBufferedSpans: file.recording?.max_buffered_spans ?? 10_000,
      flushIntervalMs: file.recording?.flush_interval_ms ?? 200,
    },
    budgets: {
      defaultMaxOutputTokens: file.budgets?.default_max_output_tokens ?? 4096,
      refreshMs: file.budgets?.refresh_ms ?? 1_000,
      parallelTimeoutMs: file.budgets?.parallel_timeout_ms ?? 600_000,
      leaseAheadCalls: file.budgets?.lease_ahead_calls ?? 64,
      reservationExpiryMs: file.budgets?.reservation_expiry_ms ?? DEFAULT_RESERVATION_EXPIRY_MS,
    },
    runIdleTimeoutMs: file.runs?.idle_timeout_ms ?? 15 * 60_000,
    replays: {
      defaultWorkers: file.replays?.default_workers ?? 4,
      heartbeatMs: file.replays?.heartbeat_ms ?? 10_000,
      staleAfterMs: file.replays?.stale_after_ms ?? 60_000,
      inngest: readInngestSettings(file.replays?.inngest, env, host),
    },
    cache: readCacheConfig(file.cache),
    guardrails: readGuardrailsConfig(file.guardrails),
    source,
    bundledMockOnly,
  };
}

/** Defaults: an honest client sends its headers in well under 15 s and a 10 MiB body in under a minute. */
function readConnectionLimits(server: ConfigFile['server']): ClientConnectionLimits {
  const limits: ClientConnectionLimits = {
    headerTimeoutMs: server?.header_timeout_ms ?? 15_000,
    bodyTimeoutMs: server?.body_timeout_ms ?? 60_000,
    // Above the 60 s idle timeout of common load balancers, so they, not Gantry, close idle connections.
    idleTimeoutMs: server?.idle_timeout_ms ?? 65_000,
    maxPerAddress: server?.max_connections_per_address ?? 256,
  };
  // Both clocks start at the request's first byte, so headers cannot be given longer than the whole request.
  if (limits.bodyTimeoutMs > 0 && limits.headerTimeoutMs > limits.bodyTimeoutMs) {
    throw new ConfigError(
      `server.header_timeout_ms (${limits.headerTimeoutMs}) must not exceed server.body_timeout_ms (${limits.bodyTimeoutMs}): ` +
        'both count from the first byte of a request; raise server.body_timeout_ms or lower server.header_timeout_ms',
    );
  }
  return limits;
}
