import type { ChatRequest, StreamEvent } from '@gantry/spec';
import { createResponsesStreamDecoder, decodeResponsesResponse, encodeResponsesRequest } from '@gantry/formats';
import { toProviderStream } from '../http/read-sse-stream.ts';
import type { UpstreamClient } from '../http/upstream-client.ts';
import type { Provider, ProviderCallOptions, ProviderStream } from '../provider.ts';

/**
 * `chat` and `chatStream` of a provider configured with `api: responses`: the canonical request is
 * sent to the upstream's `POST {path}` (`/responses`) in the Responses wire and the answer decoded
 * back, so clients of every ingress reach models served only by the Responses API.
 * @see https://platform.openai.com/docs/api-reference/responses/create
 */
export function createResponsesCalls(client: UpstreamClient, name: string, path: (model: string) => string): Pick<Provider, 'chat' | 'chatStream'> {
  return {
    async chat(request: ChatRequest, call: ProviderCallOptions) {
      const body = encodeResponsesRequest(request, { model: call.model, provider: name });
      const { json, raw } = await client.postJson(path(call.model), body, call.signal);
      return { result: decodeResponsesResponse(json, name), raw };
    },

    async chatStream(request: ChatRequest, call: ProviderCallOptions): Promise<ProviderStream> {
      const body = encodeResponsesRequest(request, { model: call.model, provider: name, stream: true });
      const response = await client.postStream(path(call.model), body, call.signal);
      return toProviderStream(response, () => {
        const decoder = createResponsesStreamDecoder(name);
        return {
          decode: (data: string): StreamEvent[] => decoder.decode(data),
          // The stream has no [DONE]: it is complete at response.completed (or .incomplete).
          isComplete: () => decoder.done,
          incompleteMessage: `provider ${name} closed the stream before response.completed`,
        };
      });
    },
  };
}

/** Providers created with `api: responses`; a WeakSet, so the Provider interface stays as it is. */
const RESPONSES_PROVIDERS = new WeakSet<Provider>();

/** Marks `provider` as one that speaks the Responses API upstream. */
export function markResponsesProvider(provider: Provider): Provider {
  RESPONSES_PROVIDERS.add(provider);
  return provider;
}

/**
 * Whether a target can run OpenAI's built-in tools (`web_search`, `file_search`, …, carried in
 * `chat.providerOptions.openaiResponses.tools`): only a provider that sends calls to the
 * Responses API upstream (`api: responses`) can; every other target must refuse them.
 */
export function acceptsBuiltinTools(provider: Provider): boolean {
  return RESPONSES_PROVIDERS.has(provider);
}
