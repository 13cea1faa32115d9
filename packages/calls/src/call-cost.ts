import { computeCostMicros, type PriceBook } from '@gantry/providers';
import type { Target } from '@gantry/router';
import type { Usage } from '@gantry/spec';

/** Cost of a call in micro-dollars, or undefined when the model has no known price or no usage is known. */
export function callCost(prices: PriceBook, target: Target | undefined, usage: Usage | undefined): number | undefined {
  if (target === undefined || usage === undefined) return undefined;
  const price = prices.lookup(target.provider.name, target.provider.type, target.model);
  return price === undefined ? undefined : computeCostMicros(usage, price);
}

/** The dearest of the targets a call may reach (fallback included), for its worst case. */
export function worstCaseMicros(prices: PriceBook, targets: readonly Target[], inputTokens: number, outputTokens: number): number {
  let worst = 0;
  for (const target of targets) {
    const price = prices.lookup(target.provider.name, target.provider.type, target.model);
    if (price !== undefined) worst = Math.max(worst, computeCostMicros({ inputTokens, outputTokens }, price));
  }
  return worst;
}
