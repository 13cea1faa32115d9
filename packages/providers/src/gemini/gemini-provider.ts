import type { Dispatcher } from 'undici';
import type { ChatRequest, EmbeddingRequest, StreamEvent } from '@gantry/spec';
import {
  createGeminiStreamDecoder,
  decodeGeminiEmbeddingResponse,
  decodeGeminiError,
  decodeGeminiResponse,
  encodeGeminiEmbeddingRequest,
  encodeGeminiRequest,
  geminiModelResource,
} from '@gantry/formats';
import { toProviderStream } from '../http/read-sse-stream.ts';
import { createUpstreamClient } from '../http/upstream-client.ts';
import type { SecretScrubber } from '../http/scrub-secrets.ts';
import { readErrorResponse } from '../http/upstream-http.ts';
import type { Provider, ProviderCallOptions, ProviderStream } from '../provider.ts';
import type { ProviderConfig } from '../provider-config.ts';

/** The Gemini Developer API, used when a `gemini` provider is configured without a base URL. */
export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

/** Gemini's errors carry their own status names; only `retry-after` is forwarded to clients. */
async function readError(name: string, response: Dispatcher.ResponseData, scrub: SecretScrubber) {
  // Scrubbed before it is quoted: a cut in a secret must not leave part of it behind.
  const { body, headers } = await readErrorResponse(response, ['retry-after'], scrub);
  return decodeGeminiError(response.statusCode, body, name, headers);
}

/** `/models/{model}:{method}`; a model given as a resource name (`tunedModels/x`) keeps its prefix. */
function modelPath(model: string, method: string): string {
  const resource = geminiModelResource(model).split('/').map(encodeURIComponent).join('/');
  return `/${resource}:${method}`;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Google's Gemini API (generateContent): `x-goog-api-key` auth, the model in the URL,
 * `:streamGenerateContent?alt=sse` for streams, `:embedContent` / `:batchEmbedContents` for embeddings.
 * @see https://ai.google.dev/api/generate-content
 */
export function createGeminiProvider(config: Omit<ProviderConfig, 'type'>): Provider {
  const name = config.name;
  const auth: Record<string, string> = config.apiKey ? { 'x-goog-api-key': config.apiKey } : {};
  const client = createUpstreamClient({
    name,
    baseUrl: config.baseUrl || GEMINI_DEFAULT_BASE_URL,
    headers: { ...config.headers, ...auth },
    pool: config,
    readError,
  });

  return {
    name,
    type: 'gemini',

    async chat(request: ChatRequest, options: ProviderCallOptions) {
      const body = encodeGeminiRequest(request);
      const { json, raw } = await client.postJson(modelPath(options.model, 'generateContent'), body, options.signal);
      return { result: decodeGeminiResponse(json, name), raw };
    },

    async chatStream(request: ChatRequest, options: ProviderCallOptions): Promise<ProviderStream> {
      const body = encodeGeminiRequest(request);
      const path = modelPath(options.model, 'streamGenerateContent') + '?alt=sse';
      const response = await client.postStream(path, body, options.signal);
      return toProviderStream(response, () => {
        const decoder = createGeminiStreamDecoder(name);
        /** Lines outside SSE framing: Gemini sends a failure mid-stream as a bare JSON object. */
        let stray = '';
        return {
          decode: (data) => decoder.decode(data),
          onStrayLine(line: string): StreamEvent[] {
            stray = stray === '' ? line : `${stray}\n${line}`;
            if (!isJson(stray)) return []; // a pretty-printed object continues on the next line
            const whole = stray;
            stray = '';
            return decoder.decode(whole);
          },
          onBodyEnd: () => (stray === '' ? [] : decoder.decode(stray)),
          // No end sentinel: a stream is complete when every candidate reported a finishReason.
          isComplete: () => decoder.finished,
          incompleteMessage: `provider ${name} closed the stream before it finished`,
          trailing: () => decoder.finish(),
        };
      });
    },

    async embed(request: EmbeddingRequest, options: ProviderCallOptions) {
      const call = encodeGeminiEmbeddingRequest(request, options.model);
      const { json, raw } = await client.postJson(modelPath(options.model, call.method), call.body, options.signal);
      return { result: decodeGeminiEmbeddingResponse(json, name, request, options.model), raw };
    },

    close: () => client.close(),
  };
}
