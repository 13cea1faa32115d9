import { ANTHROPIC_DEFAULT_BASE_URL, createAnthropicProvider } from './anthropic/index.ts';
import { createAzureOpenAIProvider } from './azure-openai/index.ts';
import { createGeminiProvider, GEMINI_DEFAULT_BASE_URL } from './gemini/index.ts';
import { createOpenAIProvider } from './openai/openai-provider.ts';
import type { Provider } from './provider.ts';
import type { ProviderConfig, ProviderType } from './provider-config.ts';

/** Builds the adapter for a configured provider. A new OpenAI-compatible vendor is config, not code. */
export function createProvider(config: ProviderConfig): Provider {
  switch (config.type) {
    case 'openai':
    case 'openai-compatible':
      return createOpenAIProvider(config);
    case 'azure-openai':
      return createAzureOpenAIProvider(config);
    case 'anthropic':
      return createAnthropicProvider(config);
    case 'gemini':
      return createGeminiProvider(config);
  }
}

/** Base URL used when a provider of this type is configured without one. */
export const DEFAULT_BASE_URLS: Partial<Record<ProviderType, string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: ANTHROPIC_DEFAULT_BASE_URL,
  gemini: GEMINI_DEFAULT_BASE_URL,
};
