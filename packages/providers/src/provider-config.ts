/** Provider types this build can talk to. */
export const PROVIDER_TYPES = ['openai', 'openai-compatible', 'azure-openai', 'anthropic', 'gemini'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

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
}
