import type { Provider } from '@gantry/providers';

/** One concrete place a request can go: a configured provider and the model name it knows. */
export interface Target {
  provider: Provider;
  /** The model name sent to the provider. */
  model: string;
  /** `provider/model`, as shown to clients and stored on spans. */
  id: string;
}
