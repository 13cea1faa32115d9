import { createOpenAIProvider } from './openai/openai-provider.ts';
import type { Provider } from './provider.ts';
import type { ProviderConfig } from './provider-config.ts';

/** Builds the adapter for a configured provider. A new OpenAI-compatible vendor is config, not code. */
export function createProvider(config: ProviderConfig): Provider {
  switch (config.type) {
    case 'openai':
    case 'openai-compatible':
      return createOpenAIProvider(config);
  }
}

/** Provider types this build can talk to, for config validation messages. */
export const PROVIDER_TYPES = ['openai', 'openai-compatible'] as const;

/** Base URL used when a provider of this type is configured without one. */
export const DEFAULT_BASE_URLS: Partial<Record<ProviderConfig['type'], string>> = {
  openai: 'https://api.openai.com/v1',
};
