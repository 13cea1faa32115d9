import type { MockStep, RecordedRequest } from '../mock-provider/index.ts';
import { startStack, type Stack } from '../support/start-stack.ts';

/**
 * The provider types of the conformance matrix. In the conformance tests each provider is named
 * after its type, so `anthropic/some-model` goes to the `anthropic` adapter, and so on.
 */
export const PROVIDER_IDS = ['openai', 'azure-openai', 'anthropic', 'gemini'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** One provider of every type, all pointed at the one mock provider. */
export function conformanceProviders(mockUrl: string): Record<string, unknown> {
  return {
    providers: {
      openai: { type: 'openai', base_url: `${mockUrl}/v1`, api_key: 'sk-test' },
      'azure-openai': { type: 'azure-openai', base_url: mockUrl, api_key: 'azure-test' },
      anthropic: { type: 'anthropic', base_url: `${mockUrl}/v1`, api_key: 'sk-ant-test' },
      gemini: { type: 'gemini', base_url: `${mockUrl}/v1beta`, api_key: 'gemini-test' },
    },
    // Replace the default stack's alias and price, which name its `local` provider.
    models: {},
    pricing: {},
  };
}

export interface ConformanceStack extends Stack {
  /** Registers a uniquely named script and returns the `provider/model` name that reaches it. */
  scripted(provider: ProviderId, steps: MockStep[]): string;
  /** The requests the mock received for a `provider/model` name, oldest first. */
  upstream(model: string): RecordedRequest[];
  /** The body of the last request the mock received for a `provider/model` name. */
  upstreamBody(model: string): Record<string, unknown>;
}

/**
 * A gateway and mock provider with {@link conformanceProviders}; `prefix` keeps script names apart.
 * `extraProviders` adds providers (e.g. a stub server the mock cannot imitate).
 */
export async function startConformanceStack(prefix: string, extraProviders: Record<string, unknown> = {}): Promise<ConformanceStack> {
  const stack = await startStack({
    config: (mockUrl) => {
      const config = conformanceProviders(mockUrl);
      return { ...config, providers: { ...(config.providers as object), ...extraProviders } };
    },
  });
  let sequence = 0;
  const upstream = (model: string) => {
    const name = model.slice(model.indexOf('/') + 1);
    return stack.mock.requests.filter((request) => request.model === name);
  };
  return {
    ...stack,
    scripted(provider, steps) {
      const name = `${prefix}-${provider}-${++sequence}`;
      stack.mock.script(name, steps);
      return `${provider}/${name}`;
    },
    upstream,
    upstreamBody(model) {
      const request = upstream(model).at(-1);
      if (request === undefined) throw new Error(`the mock received no request for ${model}`);
      return request.body as Record<string, unknown>;
    },
  };
}
