import type { ChatRequest, EmbeddingRequest, StreamEvent } from '@gantry/spec';
import {
  createOpenAIStreamDecoder,
  decodeOpenAIChatResponse,
  decodeOpenAIEmbeddingResponse,
  encodeOpenAIChatRequest,
  encodeOpenAIEmbeddingRequest,
} from '@gantry/formats';
import { toProviderStream } from '../http/read-sse-stream.ts';
import { createUpstreamClient } from '../http/upstream-client.ts';
import type { Provider, ProviderCallOptions, ProviderStream } from '../provider.ts';
import type { ProviderConfig } from '../provider-config.ts';
import { createResponsesCalls, markResponsesProvider } from './openai-responses-calls.ts';

/** The OpenAI API operations an adapter calls; `responses` for providers configured with `api: responses`. */
export type OpenAIOperation = 'chat/completions' | 'embeddings' | 'responses';

/** How a vendor that speaks the OpenAI wire differs from OpenAI (Azure OpenAI, say). */
export interface OpenAIProviderOptions {
  /** The path below the base URL, query string included; `/{operation}` when absent. */
  path?: (operation: OpenAIOperation, model: string) => string;
  /** Headers that carry the API key; `authorization: Bearer {apiKey}` when absent. */
  authHeaders?: (apiKey: string) => Record<string, string>;
  /** True for a stream frame's `data` that is not part of the OpenAI wire and must not be decoded. */
  skipFrame?: (data: string) => boolean;
}

const defaultPath = (operation: OpenAIOperation): string => `/${operation}`;
const bearer = (apiKey: string): Record<string, string> => ({ authorization: `Bearer ${apiKey}` });

/**
 * OpenAI and every OpenAI-compatible server (vLLM, Ollama, llama.cpp, Groq, Together, …); with
 * `options`, vendors whose URLs, auth or stream preamble differ. With `config.api: responses`,
 * chat calls go to `/responses` in the Responses wire instead of `/chat/completions`.
 * @see https://platform.openai.com/docs/api-reference/chat
 */
export function createOpenAIProvider(config: ProviderConfig, options: OpenAIProviderOptions = {}): Provider {
  const name = config.name;
  const path = options.path ?? defaultPath;
  const skipFrame = options.skipFrame ?? (() => false);
  const auth = config.apiKey ? (options.authHeaders ?? bearer)(config.apiKey) : {};
  const client = createUpstreamClient({ name, baseUrl: config.baseUrl, headers: { ...config.headers, ...auth }, pool: config });

  const provider: Provider = {
    name,
    type: config.type,

    async chat(request: ChatRequest, call: ProviderCallOptions) {
      const body = encodeOpenAIChatRequest(request, { model: call.model, stream: false });
      const { json, raw } = await client.postJson(path('chat/completions', call.model), body, call.signal);
      return { result: decodeOpenAIChatResponse(json, name), raw };
    },

    async chatStream(request: ChatRequest, call: ProviderCallOptions): Promise<ProviderStream> {
      const body = encodeOpenAIChatRequest(request, { model: call.model, stream: true });
      const response = await client.postStream(path('chat/completions', call.model), body, call.signal);
      return toProviderStream(response, () => {
        const decoder = createOpenAIStreamDecoder(name);
        let finished = false;
        return {
          decode(data: string): StreamEvent[] {
            if (skipFrame(data)) return [];
            const events = decoder.decode(data);
            if (events.some((event) => event.type === 'finish')) finished = true;
            return events;
          },
          // Complete at [DONE]; servers that omit [DONE] still end with a finish_reason.
          isComplete: () => decoder.done || finished,
          incompleteMessage: `provider ${name} closed the stream before it finished`,
        };
      });
    },

    async embed(request: EmbeddingRequest, call: ProviderCallOptions) {
      const body = encodeOpenAIEmbeddingRequest(request, call.model);
      const { json, raw } = await client.postJson(path('embeddings', call.model), body, call.signal);
      return { result: decodeOpenAIEmbeddingResponse(json, name), raw };
    },

    close: () => client.close(),
  };
  if (config.api !== 'responses') return provider;
  // Embeddings stay on `/embeddings`: the Responses API has none.
  return markResponsesProvider({ ...provider, ...createResponsesCalls(client, name, (model) => path('responses', model)) });
}
