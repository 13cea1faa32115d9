export type { Provider, ProviderCallOptions, ProviderStream, RawExchange } from './provider.ts';
export { OPENAI_API_PROVIDER_TYPES, OPENAI_APIS, PROVIDER_TYPES, type OpenAIApi, type ProviderConfig, type ProviderType } from './provider-config.ts';
export { acceptsBuiltinTools } from './openai/openai-responses-calls.ts';
export { createProvider, DEFAULT_BASE_URLS } from './create-provider.ts';
export { computeCostMicros, type ModelPrice } from './pricing/model-price.ts';
export { PriceBook } from './pricing/price-book.ts';
export { BUILT_IN_PRICES } from './pricing/built-in-prices.ts';
export {
  familyOfProviderType,
  findModelFamily,
  isModelOrVariant,
  MODEL_CATALOGUE,
  MODEL_FAMILIES,
  type FamilyCatalogue,
  type ModelCatalogue,
  type ModelFamily,
} from './catalogue/model-catalogue.ts';
export * from './anthropic/index.ts';
export * from './gemini/index.ts';
export * from './azure-openai/index.ts';
