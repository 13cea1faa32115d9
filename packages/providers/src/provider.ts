import type { ChatRequest, ChatResult, EmbeddingRequest, EmbeddingResult, ProviderExchange, StreamEvent } from '@gantry/spec';

/** The provider exchange as it happened on the wire, stored on spans for replay and debugging. */
export type RawExchange = ProviderExchange;

export interface ProviderCallOptions {
  /** The model name the provider knows. */
  model: string;
  /** Aborts the upstream call (client disconnect, timeout). */
  signal?: AbortSignal;
}

export interface ProviderStream extends AsyncIterable<StreamEvent> {
  /** Filled in as the stream is consumed; complete once iteration ends. */
  readonly raw: RawExchange;
}

/** One configured provider. Adapters throw GatewayErrors; they never return error objects. */
export interface Provider {
  readonly name: string;
  readonly type: string;
  chat(request: ChatRequest, options: ProviderCallOptions): Promise<{ result: ChatResult; raw: RawExchange }>;
  /** Resolves once the provider accepted the call (2xx headers); events follow as they arrive. */
  chatStream(request: ChatRequest, options: ProviderCallOptions): Promise<ProviderStream>;
  embed(request: EmbeddingRequest, options: ProviderCallOptions): Promise<{ result: EmbeddingResult; raw: RawExchange }>;
  close(): Promise<void>;
}
