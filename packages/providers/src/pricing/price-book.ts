import { familyOfProviderType, isModelOrVariant } from '../catalogue/model-catalogue.ts';
import { BUILT_IN_PRICES } from './built-in-prices.ts';
import type { ModelPrice } from './model-price.ts';

/**
 * Resolves the price of `provider/model`: an exact `pricing:` entry from config first, then the
 * built-in table of the provider's family by longest dated-snapshot prefix. Self-hosted
 * OpenAI-compatible models have no built-in price: configure one, or their calls cost nothing.
 * Prices are for cost only: which models exist is the model catalogue's business.
 */
export class PriceBook {
  private readonly cache = new Map<string, ModelPrice | null>();

  constructor(private readonly configured: Record<string, ModelPrice> = {}) {}

  lookup(providerName: string, providerType: string, model: string): ModelPrice | undefined {
    const key = `${providerName}/${model}`;
    let price = this.cache.get(key);
    if (price === undefined) {
      price = this.configured[key] ?? this.builtIn(providerType, model) ?? null;
      this.cache.set(key, price);
    }
    return price ?? undefined;
  }

  private builtIn(providerType: string, model: string): ModelPrice | undefined {
    const family = familyOfProviderType(providerType);
    if (family === undefined) return undefined;
    const table = BUILT_IN_PRICES[family];
    let best: string | undefined;
    for (const name of Object.keys(table)) {
      if (isModelOrVariant(model, name) && (best === undefined || name.length > best.length)) best = name;
    }
    return best === undefined ? undefined : table[best];
  }
}
