/** How a request is cached: `exact` matches the whole request; `semantic` also near-identical first turns. */
export const cacheModes = ['off', 'exact', 'semantic'] as const;
export type CacheMode = (typeof cacheModes)[number];

/** Who may be served an entry: the caller's team (default), only its key, or every caller. */
export const cacheScopes = ['team', 'key', 'global'] as const;
export type CacheScope = (typeof cacheScopes)[number];

/** The cache's settings for one request. */
export interface CacheSettings {
  mode: CacheMode;
  /** How long an entry is served, in seconds. */
  ttlSeconds: number;
  scope: CacheScope;
  /** Cache requests with an explicit temperature above 0 (sampled answers): off by default. */
  cacheSampled: boolean;
  /**
   * The fraction (0 to 1) of what a hit saved that the hit is charged: settled against the call's
   * budgets and counted in spend, rounded to whole micro-dollars. 0 by default (a hit is free).
   */
  hitCharge: number;
}

/** The configured cache: defaults, then per model (alias or `provider/model`), then per key id, the later winning. */
export interface CacheConfig {
  defaults: CacheSettings;
  models: Readonly<Record<string, Partial<CacheSettings>>>;
  keys: Readonly<Record<string, Partial<CacheSettings>>>;
}

export const DEFAULT_CACHE_SETTINGS: CacheSettings = { mode: 'off', ttlSeconds: 3600, scope: 'team', cacheSampled: false, hitCharge: 0 };

/** True when any request could be cached: the gateway installs the cache middleware only then. */
export function cacheConfigured(config: CacheConfig): boolean {
  return [config.defaults, ...Object.values(config.models), ...Object.values(config.keys)].some((settings) => settings.mode !== undefined && settings.mode !== 'off');
}

/**
 * The settings of one request: the defaults, overridden by the model it addressed (the alias or
 * `provider/model` as sent, else its first target), overridden by its key's.
 */
export function settingsFor(config: CacheConfig, model: string, targets: readonly string[], apiKeyId: string | null): CacheSettings {
  const byModel = config.models[model] ?? (targets[0] === undefined ? undefined : config.models[targets[0]]);
  const byKey = apiKeyId === null ? undefined : config.keys[apiKeyId];
  return { ...config.defaults, ...byModel, ...byKey };
}
