import { computeCostMicros, type PriceBook } from '@gantry/providers';
import type { Usage } from '@gantry/spec';
import type { Target } from '@gantry/router';

/** Cost of a call in micro-dollars, or undefined when the model has no known price or no usage was reported. */
export function callCost(prices: PriceBook, target: Target | undefined, usage: Usage | undefined): number | undefined {
  if (target === undefined || usage === undefined) return undefined;
  const price = prices.lookup(target.provider.name, target.provider.type, target.model);
  return price === undefined ? undefined : computeCostMicros(usage, price);
}
