export { readCacheControls, MAX_CACHE_TTL_SECONDS, type CacheControls } from './cache-controls.ts';
export { exactCacheKey } from './cache-key.ts';
export { cacheConfigured, cacheModes, cacheScopes, DEFAULT_CACHE_SETTINGS, settingsFor, type CacheConfig, type CacheMode, type CacheScope, type CacheSettings } from './cache-settings.ts';
export { ResponseCache, type ResponseCacheOptions } from './response-cache.ts';
