import { z } from 'zod';
import type { CallerLimits, RunLimits } from '@gantry/db';

const count = z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative');
/** Postgres `integer`'s largest value: `limit_calls` and `limit_depth` are 32-bit columns. */
export const MAX_INT32 = 2_147_483_647;
/** A count stored in a 32-bit column; past it the write fails in the database as a server error. */
const int32Count = count.max(MAX_INT32, `must be at most ${MAX_INT32}`);
/** Largest wall-clock limit of a run, in seconds (about 31 years): stored as milliseconds, exactly. */
export const MAX_WALL_SECONDS = 1e9;
/** USD as a JSON number, at most 6 decimals: stored exactly as integer micro-dollars. */
export const usdAmount = z
  .number({ error: 'must be a number of USD' })
  .min(0, 'must not be negative')
  .max(1e9, 'must be at most 1e9')
  .refine((value) => Math.abs(Math.round(value * 1e6) - value * 1e6) < 1e-3, 'at most 6 decimals (micro-dollars)');

export const toMicros = (usd: number): number => Math.round(usd * 1e6);
export const toUsd = (micros: number | null | undefined): number | null => (micros === null || micros === undefined ? null : micros / 1e6);

/** Run limits on the wire (snake_case, USD, seconds). */
export const runLimitsBody = z.strictObject({
  max_cost_usd: usdAmount.optional(),
  max_calls: int32Count.optional(),
  // zod's int() keeps to safe integers, which the bigint column holds.
  max_tokens: count.optional(),
  max_depth: int32Count.optional(),
  max_wall_seconds: z
    .number({ error: 'must be a number of seconds' })
    .positive('must be positive')
    .max(MAX_WALL_SECONDS, `must be at most ${MAX_WALL_SECONDS} (about 31 years)`)
    .optional(),
});

/** Rate limits, parallel requests and run defaults of a key or team, on the wire. */
export const callerLimitsBody = z.strictObject({
  rpm: count.optional(),
  tpm: count.optional(),
  max_parallel: count.min(1, 'must be at least 1').optional(),
  run: runLimitsBody.optional(),
});

export function runLimitsFromWire(wire: z.infer<typeof runLimitsBody>): RunLimits {
  return {
    ...(wire.max_cost_usd === undefined ? {} : { maxCostMicros: toMicros(wire.max_cost_usd) }),
    ...(wire.max_calls === undefined ? {} : { maxCalls: wire.max_calls }),
    ...(wire.max_tokens === undefined ? {} : { maxTokens: wire.max_tokens }),
    ...(wire.max_depth === undefined ? {} : { maxDepth: wire.max_depth }),
    ...(wire.max_wall_seconds === undefined ? {} : { maxWallMs: Math.round(wire.max_wall_seconds * 1000) }),
  };
}

export function limitsFromWire(wire: z.infer<typeof callerLimitsBody>): CallerLimits {
  return {
    ...(wire.rpm === undefined ? {} : { rpm: wire.rpm }),
    ...(wire.tpm === undefined ? {} : { tpm: wire.tpm }),
    ...(wire.max_parallel === undefined ? {} : { maxParallel: wire.max_parallel }),
    ...(wire.run === undefined ? {} : { run: runLimitsFromWire(wire.run) }),
  };
}

export function runLimitsToWire(limits: RunLimits | undefined) {
  if (limits === undefined) return undefined;
  return {
    ...(limits.maxCostMicros === undefined ? {} : { max_cost_usd: toUsd(limits.maxCostMicros) }),
    ...(limits.maxCalls === undefined ? {} : { max_calls: limits.maxCalls }),
    ...(limits.maxTokens === undefined ? {} : { max_tokens: limits.maxTokens }),
    ...(limits.maxDepth === undefined ? {} : { max_depth: limits.maxDepth }),
    ...(limits.maxWallMs === undefined ? {} : { max_wall_seconds: limits.maxWallMs / 1000 }),
  };
}

export function limitsToWire(limits: CallerLimits) {
  return {
    ...(limits.rpm === undefined ? {} : { rpm: limits.rpm }),
    ...(limits.tpm === undefined ? {} : { tpm: limits.tpm }),
    ...(limits.maxParallel === undefined ? {} : { max_parallel: limits.maxParallel }),
    ...(limits.run === undefined ? {} : { run: runLimitsToWire(limits.run) }),
  };
}

export const metadataBody = z.record(z.string(), z.unknown());
