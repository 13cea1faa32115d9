import type { Provider } from '@gantry/providers';

/** One concrete place a request can go: a configured provider and the model name it knows. */
export interface Target {
  provider: Provider;
  /** The model name sent to the provider. */
  model: string;
  /** `provider/model`, as shown to clients and stored on spans. */
  id: string;
  /** Relative share under the `weighted` strategy. */
  weight?: number;
  /** Milliseconds for the whole try (for a stream: until its first event). */
  timeoutMs?: number;
  /** Streams: milliseconds from the start of the try to the first event. */
  firstTokenTimeoutMs?: number;
}
