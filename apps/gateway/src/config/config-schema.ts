import { z } from 'zod';
import { PROVIDER_TYPES } from '@gantry/providers';

const providerName = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'provider names use letters, digits, _ . - (no slash)');

const provider = z.strictObject({
  type: z.enum(PROVIDER_TYPES, { error: (issue) => `unknown provider type ${JSON.stringify(issue.input)}; accepted: ${PROVIDER_TYPES.join(', ')}` }),
  base_url: z.url({ protocol: /^https?$/, error: 'must be a URL (http:// or https://)' }).optional(),
  api_key: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  max_connections: z.number().int().positive().optional(),
  timeout_ms: z.number().int().positive().optional(),
  /** azure-openai: the `api-version` query parameter. */
  api_version: z.string().min(1).optional(),
});

const price = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cached_input: z.number().nonnegative().optional(),
  cache_write: z.number().nonnegative().optional(),
});

/** gantry.yaml. Every key is optional; environment variables fill the server and database parts. */
export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().optional(),
      port: z.number().int().min(0).max(65535).optional(),
      /** Largest accepted request body in bytes. */
      body_limit: z.number().int().positive().optional(),
    })
    .optional(),
  database: z.strictObject({ url: z.string().optional(), data_dir: z.string().optional() }).optional(),
  providers: z.record(providerName, provider).optional(),
  models: z.record(z.string().regex(/^[^/]+$/, 'alias names cannot contain "/"'), z.strictObject({ targets: z.array(z.string()).min(1, 'needs at least one provider/model') })).optional(),
  pricing: z.record(z.string().regex(/^[^/]+\/.+$/, 'pricing keys are provider/model'), price).optional(),
  runs: z
    .strictObject({
      /** A run with no call for this long ends as `timed_out`. */
      idle_timeout_ms: z.number().int().positive().optional(),
    })
    .optional(),
  recording: z
    .strictObject({
      /** Store the raw provider exchange on each span. */
      store_raw: z.boolean().optional(),
      max_buffered_spans: z.number().int().positive().optional(),
      flush_interval_ms: z.number().int().positive().optional(),
    })
    .optional(),
});

export type ConfigFile = z.infer<typeof configSchema>;
