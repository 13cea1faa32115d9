import { cacheConfigured, ResponseCache } from '@gantry/cache';
import { callCost } from '@gantry/calls';
import { sweepExpiredCacheEntries, type GantryDb } from '@gantry/db';
import type { PriceBook } from '@gantry/providers';
import type { Router } from '@gantry/router';
import type { GatewayConfig } from './config/load-config.ts';

/** Expired entries deleted per statement; a sweep repeats while it finds this many. */
const SWEEP_BATCH = 1000;
const SWEEP_EVERY_MS = 60_000;

/**
 * The response cache middleware when the config enables it anywhere, else undefined (no cache
 * work, no `x-gantry-cache` header). `pricing` is read when an entry is written: what the answer
 * cost is what each hit saves.
 */
export function createResponseCache(config: GatewayConfig, db: GantryDb, pricing: () => { router: Router; prices: PriceBook }, onError: (error: unknown) => void): ResponseCache | undefined {
  if (!cacheConfigured(config.cache)) return undefined;
  return new ResponseCache({
    db,
    config: config.cache,
    costOf: (target, usage) => {
      const { router, prices } = pricing();
      return callCost(prices, router.route(target).targets[0], usage);
    },
    onWriteError: onError,
  });
}

/** Deletes expired entries every minute, from every instance (each row goes once: SKIP LOCKED). */
export function startCacheSweeper(db: GantryDb, onError: (error: unknown) => void): { close(): void } {
  const sweep = async () => {
    while ((await sweepExpiredCacheEntries(db, new Date(), SWEEP_BATCH)) === SWEEP_BATCH);
  };
  const timer = setInterval(() => void sweep().catch(onError), SWEEP_EVERY_MS);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
