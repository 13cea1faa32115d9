import type { Pool } from 'undici';
import { InvalidRequestError, ProviderUnreachableError, type ChatRequest } from '@gantry/spec';
import {
  createAnthropicStreamDecoder,
  decodeAnthropicCountTokensResponse,
  decodeAnthropicResponse,
  encodeAnthropicRequest,
} from '@gantry/formats';
import { createUpstreamPool, toProviderHttpError, toTransportError } from '../http/upstream-http.ts';
import type { Provider, ProviderCallOptions, ProviderStream, RawExchange } from '../provider.ts';
import type { ProviderConfig } from '../provider-config.ts';
import { readAnthropicStream } from './read-anthropic-stream.ts';

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
  const baseUrl = (config.baseUrl || ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const pool: Pool = createUpstreamPool(base.origin, config);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION, ...config.headers };
  if (config.apiKey) headers['x-api-key'] = config.apiKey;
  const name = config.name;

  async function post(path: string, body: unknown, signal: AbortSignal | undefined) {
    let response;
    try {
      response = await pool.request({ method: 'POST', path: basePath + path, headers, body: JSON.stringify(body), signal });
    } catch (error) {
      throw toTransportError(name, error, signal);
    }
    if (response.statusCode < 200 || response.statusCode >= 300) throw await toProviderHttpError(name, response);
    return response;
  }

  async function postJson(path: string, body: unknown, signal: AbortSignal | undefined): Promise<{ json: unknown; raw: RawExchange }> {
    const response = await post(path, body, signal);
    let json: unknown;
    try {
      json = await response.body.json();
    } catch (error) {
      const transport = toTransportError(name, error, signal);
      if (transport !== error || signal?.aborted) throw transport;
      throw new ProviderUnreachableError(name, `provider ${name} returned a body that is not JSON`, { cause: error });
    }
    return { json, raw: { url: baseUrl + path, requestBody: body, status: response.statusCode, responseBody: json } };
  }

  function encode(request: ChatRequest, options: ProviderCallOptions, stream: boolean): Record<string, unknown> {
    return encodeAnthropicRequest(request, { model: options.model, stream, provider: name });
  }

  return {
    name,
    type: 'anthropic',

    async chat(request, options) {
      const body = encode(request, options, false);
      const { json, raw } = await postJson('/messages', body, options.signal);
      return { result: decodeAnthropicResponse(json, name), raw };
    },

    async chatStream(request, options): Promise<ProviderStream> {
      const body = encode(request, options, true);
      const response = await post('/messages', body, options.signal);
      const raw: RawExchange = { url: `${baseUrl}/messages`, requestBody: body, status: response.statusCode, responseBody: '' };
      return {
        raw,
        [Symbol.asyncIterator]: () => readAnthropicStream(name, response.body, createAnthropicStreamDecoder(name), raw, options.signal),
      };
    },

    async embed() {
      throw new InvalidRequestError(`provider ${name}: anthropic has no embeddings API; route embeddings to an OpenAI or Gemini model`, { param: 'model' });
    },

    async countTokens(request, options) {
      const full = encode(request, options, false);
      const body = Object.fromEntries(Object.entries(full).filter(([key]) => COUNT_TOKENS_KEYS.has(key)));
      const { json, raw } = await postJson('/messages/count_tokens', body, options.signal);
      return { inputTokens: decodeAnthropicCountTokensResponse(json, name), raw };
    },

    async close() {
      await pool.close();
    },
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
