import type { Usage } from '@gantry/spec';

/** Prices in USD per million tokens, as providers publish them. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Cached input (prompt cache read). Defaults to `input`. */
  cachedInput?: number;
  /** Prompt cache write (Anthropic). Defaults to `input`. */
  cacheWrite?: number;
}

/**
 * Cost of one call in integer micro-dollars. A price of $1 per million tokens is exactly one
 * micro-dollar per token, so the sum is computed in micro-dollars × tokens and rounded once.
 */
export function computeCostMicros(usage: Usage, price: ModelPrice): number {
  const cached = usage.cachedInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  const uncached = Math.max(0, usage.inputTokens - cached - cacheWrite);
  // Prices have at most 4 decimals (e.g. $0.0375): scale to integers before multiplying so that
  // binary floating point never enters the sum.
  const scaled =
    uncached * toTenThousandths(price.input) +
    cached * toTenThousandths(price.cachedInput ?? price.input) +
    cacheWrite * toTenThousandths(price.cacheWrite ?? price.input) +
    usage.outputTokens * toTenThousandths(price.output);
  return Math.round(scaled / 10_000);
}

function toTenThousandths(usdPerMillion: number): number {
  return Math.round(usdPerMillion * 10_000);
}
