export type { Provider, ProviderCallOptions, ProviderStream, RawExchange } from './provider.ts';
export type { ProviderConfig } from './provider-config.ts';
export { createProvider, DEFAULT_BASE_URLS, PROVIDER_TYPES } from './create-provider.ts';
export { computeCostMicros, type ModelPrice } from './pricing/model-price.ts';
export { PriceBook } from './pricing/price-book.ts';
export { BUILT_IN_PRICES } from './pricing/built-in-prices.ts';
