import { createOpenAIProvider, type OpenAIOperation } from '../openai/openai-provider.ts';
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
 * Azure's path for an operation. The Responses API is served only by Azure's v1 API,
 * `{baseUrl}/openai/v1/responses`, which takes the deployment as the body's `model` and no
 * dated `api-version`; every other operation is under the deployment's path.
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/how-to/responses
 */
function azurePath(operation: OpenAIOperation, deployment: string, query: string): string {
  if (operation === 'responses') return '/openai/v1/responses';
  return `/openai/deployments/${encodeURIComponent(deployment)}/${operation}${query}`;
}

/**
 * Azure OpenAI: the OpenAI wire on `{baseUrl}/openai/deployments/{deployment}/…?api-version=…`,
 * authenticated by an `api-key` header. The model a client addresses is the deployment name.
 * With `api: responses`, chat calls go to the v1 Responses API (see `azurePath`).
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/reference#chat-completions
 */
export function createAzureOpenAIProvider(config: Omit<ProviderConfig, 'type'>): Provider {
  const query = `?api-version=${encodeURIComponent(config.apiVersion ?? AZURE_OPENAI_DEFAULT_API_VERSION)}`;
  return createOpenAIProvider(
    { ...config, type: 'azure-openai' },
    {
      path: (operation, deployment) => azurePath(operation, deployment, query),
      authHeaders: (apiKey) => ({ 'api-key': apiKey }),
      skipFrame: isPromptFilterChunk,
    },
  );
}
