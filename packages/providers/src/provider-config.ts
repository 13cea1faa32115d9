/** Provider types this build can talk to. */
export const PROVIDER_TYPES = ['openai', 'openai-compatible', 'azure-openai', 'anthropic', 'gemini'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** The OpenAI APIs a chat call can go to: `chat` (`/chat/completions`) or `responses` (`/responses`). */
export const OPENAI_APIS = ['chat', 'responses'] as const;
export type OpenAIApi = (typeof OPENAI_APIS)[number];

/** Provider types that speak OpenAI's wire and so can be given `api`. */
export const OPENAI_API_PROVIDER_TYPES: readonly ProviderType[] = ['openai', 'openai-compatible', 'azure-openai'];

/** A provider as configured (`providers.<name>` in gantry.yaml), already validated. */
export interface ProviderConfig {
  /** The config key; clients address models as `<name>/<model>`. */
  name: string;
  type: ProviderType;
  /** Base URL up to and including the API version path, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  apiKey?: string;
  /** Extra headers sent on every upstream request. */
  headers?: Record<string, string>;
  /** Maximum keep-alive connections to this provider. */
  maxConnections?: number;
  /** Milliseconds to wait for response headers, and between body chunks. */
  timeoutMs?: number;
  /** `azure-openai` only: the `api-version` query parameter; a current GA version when absent. */
  apiVersion?: string;
  /**
   * `openai`, `openai-compatible`, `azure-openai`: the API chat calls go to; `chat` when absent.
   * `responses` posts to the upstream's `/responses` (Azure: `/openai/v1/responses`), for models
   * served only there and for OpenAI's built-in tools.
   */
  api?: OpenAIApi;
}
