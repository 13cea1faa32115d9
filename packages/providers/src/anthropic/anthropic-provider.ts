import { InvalidRequestError, type ChatRequest } from '@gantry/spec';
import {
  createAnthropicStreamDecoder,
  decodeAnthropicCountTokensResponse,
  decodeAnthropicResponse,
  encodeAnthropicRequest,
} from '@gantry/formats';
import { toProviderStream } from '../http/read-sse-stream.ts';
import { createUpstreamClient } from '../http/upstream-client.ts';
import type { Provider, ProviderCallOptions, ProviderStream, RawExchange } from '../provider.ts';
import type { ProviderConfig } from '../provider-config.ts';

/** Used when the provider is configured without a base URL. */
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com/v1';
/** @see https://docs.anthropic.com/en/api/versioning */
export const ANTHROPIC_VERSION = '2023-06-01';

/** Keys `count_tokens` accepts; it rejects the generation-only ones (`max_tokens`, `stream`, sampling). */
const COUNT_TOKENS_KEYS = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'output_config', 'cache_control', 'mcp_servers', 'context_management']);

/** The Anthropic adapter: a Provider plus the token counter the `/v1/messages/count_tokens` ingress needs. */
export interface AnthropicProvider extends Provider {
  /** Input tokens the request would use. @see https://docs.anthropic.com/en/api/messages-count-tokens */
  countTokens(request: ChatRequest, options: ProviderCallOptions): Promise<{ inputTokens: number; raw: RawExchange }>;
}

/**
 * Anthropic Messages API: `x-api-key` auth, `anthropic-version` header (overridable, like
 * `anthropic-beta`, through `config.headers`), POST `{base}/messages`. A 529 (overloaded) maps to a
 * retryable ProviderHttpError through upstream-http, as does an `overloaded_error` mid-stream.
 * @see https://docs.anthropic.com/en/api/messages
 */
export function createAnthropicProvider(config: ProviderConfig): AnthropicProvider {
  const name = config.name;
  const auth: Record<string, string> = config.apiKey ? { 'x-api-key': config.apiKey } : {};
  const client = createUpstreamClient({
    name,
    baseUrl: config.baseUrl || ANTHROPIC_DEFAULT_BASE_URL,
    headers: { 'anthropic-version': ANTHROPIC_VERSION, ...config.headers, ...auth },
    pool: config,
  });

  function encode(request: ChatRequest, options: ProviderCallOptions, stream: boolean): Record<string, unknown> {
    return encodeAnthropicRequest(request, { model: options.model, stream, provider: name });
  }

  return {
    name,
    type: 'anthropic',

    async chat(request, options) {
      const body = encode(request, options, false);
      const { json, raw } = await client.postJson('/messages', body, options.signal);
      return { result: decodeAnthropicResponse(json, name), raw };
    },

    async chatStream(request, options): Promise<ProviderStream> {
      const body = encode(request, options, true);
      const response = await client.postStream('/messages', body, options.signal);
      return toProviderStream(response, () => {
        const decoder = createAnthropicStreamDecoder(name);
        return {
          // The decoder reads the payload's `type`; the `event:` name matters only for an `error` frame.
          decode: (data, eventName) => decoder.decode(data, eventName),
          isComplete: () => decoder.done,
          incompleteMessage: `provider ${name} closed the stream before message_stop`,
        };
      });
    },

    async embed() {
      throw new InvalidRequestError(`provider ${name}: anthropic has no embeddings API; route embeddings to an OpenAI or Gemini model`, { param: 'model' });
    },

    async countTokens(request, options) {
      const full = encode(request, options, false);
      const body = Object.fromEntries(Object.entries(full).filter(([key]) => COUNT_TOKENS_KEYS.has(key)));
      const { json, raw } = await client.postJson('/messages/count_tokens', body, options.signal);
      return { inputTokens: decodeAnthropicCountTokensResponse(json, name), raw };
    },

    close: () => client.close(),
  };
}

/**
 * Counts a request's input tokens with a short-lived adapter, for callers that hold a config rather
 * than a provider. Prefer `createAnthropicProvider(config).countTokens` where one is kept.
 */
export async function countAnthropicTokens(
  config: ProviderConfig,
  request: ChatRequest,
  options: ProviderCallOptions,
): Promise<{ inputTokens: number; raw: RawExchange }> {
  const provider = createAnthropicProvider(config);
  try {
    return await provider.countTokens(request, options);
  } finally {
    await provider.close();
  }
}
