import { DEFAULT_CACHE_SETTINGS, type CacheConfig, type CacheSettings } from '@gantry/cache';
import type { ConfigFile } from './config-schema.ts';
import { ConfigError } from './interpolate-env.ts';

type Level = NonNullable<NonNullable<ConfigFile['cache']>['models']>[string];

function settingsOf(level: Level, where: string): Partial<CacheSettings> {
  if (level.mode === 'semantic') {
    throw new ConfigError(`${where}.mode: semantic caching is not available in this version of Gantry yet; use exact`);
  }
  const settings: Partial<CacheSettings> = {};
  if (level.mode !== undefined) settings.mode = level.mode;
  if (level.ttl_seconds !== undefined) settings.ttlSeconds = level.ttl_seconds;
  if (level.scope !== undefined) settings.scope = level.scope;
  if (level.cache_sampled !== undefined) settings.cacheSampled = level.cache_sampled;
  return settings;
}

function levelsOf(levels: Readonly<Record<string, Level>> | undefined, where: string): Record<string, Partial<CacheSettings>> {
  return Object.fromEntries(Object.entries(levels ?? {}).map(([name, level]) => [name, settingsOf(level, `${where}.${name}`)]));
}

/** The `cache` section as the cache middleware takes it: off everywhere unless configured. */
export function readCacheConfig(file: ConfigFile['cache']): CacheConfig {
  if (file === undefined) return { defaults: DEFAULT_CACHE_SETTINGS, models: {}, keys: {} };
  const { models, keys, ...defaults } = file;
  return { defaults: { ...DEFAULT_CACHE_SETTINGS, ...settingsOf(defaults, 'cache') }, models: levelsOf(models, 'cache.models'), keys: levelsOf(keys, 'cache.keys') };
}
