import { createParser } from 'eventsource-parser';
import type { Dispatcher, Pool } from 'undici';
import { ProviderUnreachableError, type ChatRequest, type EmbeddingRequest, type StreamEvent } from '@gantry/spec';
import {
  createGeminiStreamDecoder,
  decodeGeminiEmbeddingResponse,
  decodeGeminiError,
  decodeGeminiResponse,
  encodeGeminiEmbeddingRequest,
  encodeGeminiRequest,
  geminiModelResource,
} from '@gantry/formats';
import { createUpstreamPool, toTransportError } from '../http/upstream-http.ts';
import type { Provider, ProviderCallOptions, ProviderStream, RawExchange } from '../provider.ts';
import type { ProviderConfig } from '../provider-config.ts';

/** The Gemini Developer API, used when a `gemini` provider is configured without a base URL. */
export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

/** Streams are stored on spans up to this many characters of SSE text. */
const RAW_STREAM_CAP = 256 * 1024;

/** Headers a client should see when Gemini refuses with 429. */
const FORWARDED_ERROR_HEADERS = ['retry-after'];

async function readError(name: string, response: Dispatcher.ResponseData) {
  const text = await response.body.text().catch(() => '');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's HTML page, say): keep the text.
  }
  const headers: Record<string, string> = {};
  for (const header of FORWARDED_ERROR_HEADERS) {
    const value = response.headers[header];
    if (typeof value === 'string') headers[header] = value;
  }
  return decodeGeminiError(response.statusCode, body, name, headers);
}

/**
 * Google's Gemini API (generateContent): `x-goog-api-key` auth, the model in the URL,
 * `:streamGenerateContent?alt=sse` for streams, `:embedContent` / `:batchEmbedContents` for embeddings.
 * @see https://ai.google.dev/api/generate-content
 */
export function createGeminiProvider(config: Omit<ProviderConfig, 'type'>): Provider {
  const baseUrl = (config.baseUrl || GEMINI_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const pool: Pool = createUpstreamPool(base.origin, config);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...config.headers };
  if (config.apiKey) headers['x-goog-api-key'] = config.apiKey;
  const name = config.name;

  /** `/models/{model}:{method}`; a model given as a resource name (`tunedModels/x`) keeps its prefix. */
  function modelPath(model: string, method: string): string {
    const resource = geminiModelResource(model).split('/').map(encodeURIComponent).join('/');
    return `/${resource}:${method}`;
  }

  async function post(path: string, body: unknown, signal: AbortSignal | undefined) {
    let response;
    try {
      response = await pool.request({ method: 'POST', path: basePath + path, headers, body: JSON.stringify(body), signal });
    } catch (error) {
      throw toTransportError(name, error, signal);
    }
    if (response.statusCode < 200 || response.statusCode >= 300) throw await readError(name, response);
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
    type: 'gemini',

    async chat(request: ChatRequest, options: ProviderCallOptions) {
      const body = encodeGeminiRequest(request);
      const { json, raw } = await postJson(modelPath(options.model, 'generateContent'), body, options.signal);
      return { result: decodeGeminiResponse(json, name), raw };
    },

    async chatStream(request: ChatRequest, options: ProviderCallOptions): Promise<ProviderStream> {
      const body = encodeGeminiRequest(request);
      const path = modelPath(options.model, 'streamGenerateContent') + '?alt=sse';
      const response = await post(path, body, options.signal);
      const raw: RawExchange = { url: baseUrl + path, requestBody: body, status: response.statusCode, responseBody: '' };
      return {
        raw,
        async *[Symbol.asyncIterator](): AsyncGenerator<StreamEvent> {
          const decoder = createGeminiStreamDecoder(name);
          const queue: StreamEvent[] = [];
          let failure: unknown;
          /** Lines outside SSE framing: Gemini sends a failure mid-stream as a bare JSON object. */
          let stray = '';
          const take = (data: string): void => {
            if (failure !== undefined) return;
            try {
              queue.push(...decoder.decode(data));
            } catch (error) {
              failure = error;
            }
          };
          const parser = createParser({
            onEvent: (event) => take(event.data),
            onError(error) {
              if (error.type !== 'unknown-field' || error.line === undefined) return;
              stray = stray === '' ? error.line : `${stray}\n${error.line}`;
              try {
                JSON.parse(stray);
              } catch {
                return; // a pretty-printed object continues on the next line
              }
              const complete = stray;
              stray = '';
              take(complete);
            },
          });
          const utf8 = new TextDecoder();
          let text = '';
          try {
            for await (const chunk of response.body) {
              const piece = utf8.decode(chunk as Buffer, { stream: true });
              if (text.length < RAW_STREAM_CAP) text += piece;
              parser.feed(piece);
              while (queue.length > 0) yield queue.shift()!;
              if (failure !== undefined) throw failure;
            }
            // The last line may lack its line break (a bare error object at the very end).
            parser.reset({ consume: true });
            if (stray !== '') take(stray);
            while (queue.length > 0) yield queue.shift()!;
            if (failure !== undefined) throw failure;
          } catch (error) {
            throw toTransportError(name, error, options.signal);
          } finally {
            raw.responseBody = text.length > RAW_STREAM_CAP ? text.slice(0, RAW_STREAM_CAP) : text;
            if (text.length >= RAW_STREAM_CAP) raw.truncated = true;
            if (!response.body.destroyed) response.body.destroy();
          }
          // No end sentinel: a stream is complete when every candidate reported a finishReason.
          if (!decoder.finished) throw new ProviderUnreachableError(name, `provider ${name} closed the stream before it finished`);
          yield* decoder.finish();
        },
      };
    },

    async embed(request: EmbeddingRequest, options: ProviderCallOptions) {
      const call = encodeGeminiEmbeddingRequest(request, options.model);
      const { json, raw } = await postJson(modelPath(options.model, call.method), call.body, options.signal);
      return { result: decodeGeminiEmbeddingResponse(json, name, request, options.model), raw };
    },

    async close() {
      await pool.close();
    },
  };
}
