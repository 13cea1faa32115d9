import { createParser } from 'eventsource-parser';
import type { Pool } from 'undici';
import { ProviderUnreachableError, type ChatRequest, type EmbeddingRequest, type StreamEvent } from '@gantry/spec';
import {
  createOpenAIStreamDecoder,
  decodeOpenAIChatResponse,
  decodeOpenAIEmbeddingResponse,
  encodeOpenAIChatRequest,
  encodeOpenAIEmbeddingRequest,
} from '@gantry/formats';
import { createUpstreamPool, toProviderHttpError, toTransportError } from '../http/upstream-http.ts';
import type { Provider, ProviderCallOptions, ProviderStream, RawExchange } from '../provider.ts';
import type { ProviderConfig } from '../provider-config.ts';

/**
 * The newest GA `api-version` of Azure OpenAI's dated data-plane inference API (it has
 * `max_completion_tokens`, `stream_options`, structured outputs). Later features ship in previews;
 * set `apiVersion` to use one.
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/reference
 */
export const AZURE_OPENAI_DEFAULT_API_VERSION = '2024-10-21';

/** Streams are stored on spans up to this many characters of SSE text. */
const RAW_STREAM_CAP = 256 * 1024;

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
 * A thin adapter over the OpenAI codec and upstream-http. Its request/stream code mirrors
 * openai-provider.ts; once that file takes a URL-builder and auth-header option, this becomes a
 * call to createOpenAIProvider with Azure's URL and header.
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/reference#chat-completions
 */
export function createAzureOpenAIProvider(config: Omit<ProviderConfig, 'type'>): Provider {
  const baseUrl = config.baseUrl.replace(/\/+$/, '');
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const query = `?api-version=${encodeURIComponent(config.apiVersion ?? AZURE_OPENAI_DEFAULT_API_VERSION)}`;
  const pool: Pool = createUpstreamPool(base.origin, config);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...config.headers };
  if (config.apiKey) headers['api-key'] = config.apiKey;
  const name = config.name;

  const operationPath = (deployment: string, operation: 'chat/completions' | 'embeddings'): string =>
    `/openai/deployments/${encodeURIComponent(deployment)}/${operation}${query}`;

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

  return {
    name,
    type: 'azure-openai',

    async chat(request: ChatRequest, options: ProviderCallOptions) {
      const body = encodeOpenAIChatRequest(request, { model: options.model, stream: false });
      const { json, raw } = await postJson(operationPath(options.model, 'chat/completions'), body, options.signal);
      return { result: decodeOpenAIChatResponse(json, name), raw };
    },

    async chatStream(request: ChatRequest, options: ProviderCallOptions): Promise<ProviderStream> {
      const body = encodeOpenAIChatRequest(request, { model: options.model, stream: true });
      const path = operationPath(options.model, 'chat/completions');
      const response = await post(path, body, options.signal);
      const raw: RawExchange = { url: baseUrl + path, requestBody: body, status: response.statusCode, responseBody: '' };
      return {
        raw,
        async *[Symbol.asyncIterator](): AsyncGenerator<StreamEvent> {
          const decoder = createOpenAIStreamDecoder(name);
          const queue: StreamEvent[] = [];
          let failure: unknown;
          let finished = false;
          let text = '';
          const parser = createParser({
            onEvent(event) {
              if (failure !== undefined || isPromptFilterChunk(event.data)) return;
              try {
                for (const decoded of decoder.decode(event.data)) {
                  if (decoded.type === 'finish') finished = true;
                  queue.push(decoded);
                }
              } catch (error) {
                failure = error;
              }
            },
          });
          const utf8 = new TextDecoder();
          try {
            for await (const chunk of response.body) {
              const piece = utf8.decode(chunk as Buffer, { stream: true });
              if (text.length < RAW_STREAM_CAP) text += piece;
              parser.feed(piece);
              while (queue.length > 0) yield queue.shift()!;
              if (failure !== undefined) throw failure;
            }
          } catch (error) {
            throw toTransportError(name, error, options.signal);
          } finally {
            raw.responseBody = text.length > RAW_STREAM_CAP ? text.slice(0, RAW_STREAM_CAP) : text;
            if (text.length >= RAW_STREAM_CAP) raw.truncated = true;
            if (!response.body.destroyed) response.body.destroy();
          }
          if (!decoder.done && !finished) {
            throw new ProviderUnreachableError(name, `provider ${name} closed the stream before it finished`);
          }
        },
      };
    },

    async embed(request: EmbeddingRequest, options: ProviderCallOptions) {
      const body = encodeOpenAIEmbeddingRequest(request, options.model);
      const { json, raw } = await postJson(operationPath(options.model, 'embeddings'), body, options.signal);
      return { result: decodeOpenAIEmbeddingResponse(json, name), raw };
    },

    async close() {
      await pool.close();
    },
  };
}
