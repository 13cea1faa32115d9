import { createOpenAIProvider } from '../openai/openai-provider.ts';
import type { Provider } from '../provider.ts';
import type { ProviderConfig } from '../provider-config.ts';

/**
 * The newest GA `api-version` of Azure OpenAI's dated data-plane inference API (it has
 * `max_completion_tokens`, `stream_options`, structured outputs). Later features ship in previews;
 * set `apiVersion` to use one.
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/reference
 */
export const AZURE_OPENAI_DEFAULT_API_VERSION = '2024-10-21';

/**
 * Azure streams open with a chunk that has no choices, only `prompt_filter_results`, and empty
 * `id`/`model`. Decoded, it would become the response-start with an empty id, so it is skipped.
 */
function isPromptFilterChunk(data: string): boolean {
  if (!data.includes('"prompt_filter_results"')) return false;
  try {
    const chunk = JSON.parse(data) as { choices?: unknown[]; usage?: unknown };
    return (chunk.choices?.length ?? 0) === 0 && chunk.usage == null;
  } catch {
    return false;
  }
}

/**
 * Azure OpenAI: the OpenAI wire on `{baseUrl}/openai/deployments/{deployment}/…?api-version=…`,
 * authenticated by an `api-key` header. The model a client addresses is the deployment name.
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/reference#chat-completions
 */
export function createAzureOpenAIProvider(config: Omit<ProviderConfig, 'type'>): Provider {
  const query = `?api-version=${encodeURIComponent(config.apiVersion ?? AZURE_OPENAI_DEFAULT_API_VERSION)}`;
  return createOpenAIProvider(
    { ...config, type: 'azure-openai' },
    {
      path: (operation, deployment) => `/openai/deployments/${encodeURIComponent(deployment)}/${operation}${query}`,
      authHeaders: (apiKey) => ({ 'api-key': apiKey }),
      skipFrame: isPromptFilterChunk,
    },
  );
}
