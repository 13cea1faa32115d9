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

/** Streams are stored on spans up to this many characters of SSE text. */
const RAW_STREAM_CAP = 256 * 1024;

/**
 * OpenAI and every OpenAI-compatible server (vLLM, Ollama, llama.cpp, Groq, Together, …).
 * @see https://platform.openai.com/docs/api-reference/chat
 */
export function createOpenAIProvider(config: ProviderConfig): Provider {
  const base = new URL(config.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const pool: Pool = createUpstreamPool(base.origin, config);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...config.headers };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
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
    return { json, raw: { url: config.baseUrl + path, requestBody: body, status: response.statusCode, responseBody: json } };
  }

  return {
    name,
    type: config.type,

    async chat(request: ChatRequest, options: ProviderCallOptions) {
      const body = encodeOpenAIChatRequest(request, { model: options.model, stream: false });
      const { json, raw } = await postJson('/chat/completions', body, options.signal);
      return { result: decodeOpenAIChatResponse(json, name), raw };
    },

    async chatStream(request: ChatRequest, options: ProviderCallOptions): Promise<ProviderStream> {
      const body = encodeOpenAIChatRequest(request, { model: options.model, stream: true });
      const response = await post('/chat/completions', body, options.signal);
      const raw: RawExchange = { url: config.baseUrl + '/chat/completions', requestBody: body, status: response.statusCode, responseBody: '' };
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
              if (failure !== undefined) return;
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
              // Keep reading to the body's end after [DONE] so the connection returns to the pool.
              if (failure !== undefined) throw failure;
            }
          } catch (error) {
            throw toTransportError(name, error, options.signal);
          } finally {
            raw.responseBody = text.length > RAW_STREAM_CAP ? text.slice(0, RAW_STREAM_CAP) : text;
            if (text.length >= RAW_STREAM_CAP) raw.truncated = true;
            if (!response.body.destroyed) response.body.destroy();
          }
          // A stream is complete at [DONE]; servers that omit [DONE] still end with a finish_reason.
          if (!decoder.done && !finished) {
            throw new ProviderUnreachableError(name, `provider ${name} closed the stream before it finished`);
          }
        },
      };
    },

    async embed(request: EmbeddingRequest, options: ProviderCallOptions) {
      const body = encodeOpenAIEmbeddingRequest(request, options.model);
      const { json, raw } = await postJson('/embeddings', body, options.signal);
      return { result: decodeOpenAIEmbeddingResponse(json, name), raw };
    },

    async close() {
      await pool.close();
    },
  };
}
