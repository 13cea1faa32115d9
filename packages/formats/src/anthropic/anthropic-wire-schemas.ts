import { z } from 'zod';

/**
 * Zod schemas for what Anthropic sends us: Messages responses, stream event payloads, usage,
 * token counts. Loose: Anthropic adds fields (`caller`, `inference_geo`, `stop_details`…); we keep
 * what we map. The client-facing request schema lives in `anthropic-request-schema.ts`.
 * @see https://docs.anthropic.com/en/api/messages
 */

const count = z.number().nullish();

export const anthropicUsageSchema = z
  .object({
    input_tokens: count,
    output_tokens: count,
    cache_creation_input_tokens: count,
    cache_read_input_tokens: count,
    output_tokens_details: z.object({ thinking_tokens: count }).loose().nullish(),
  })
  .loose();

export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;

/** A content block of a response, or of `content_block_start`; unknown types are kept and skipped. */
export const anthropicContentBlockSchema = z.object({ type: z.string() }).loose();

export const anthropicTextBlockSchema = z.object({ type: z.literal('text'), text: z.string() }).loose();
export const anthropicToolUseBlockSchema = z
  .object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown().optional() })
  .loose();
export const anthropicThinkingBlockSchema = z
  .object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().nullish() })
  .loose();
export const anthropicRedactedThinkingBlockSchema = z.object({ type: z.literal('redacted_thinking'), data: z.string() }).loose();

/** A non-streaming Messages response. @see https://docs.anthropic.com/en/api/messages#response */
export const anthropicResponseSchema = z
  .object({
    id: z.string().optional(),
    type: z.string().optional(),
    model: z.string().optional(),
    content: z.array(anthropicContentBlockSchema),
    stop_reason: z.string().nullish(),
    stop_sequence: z.string().nullish(),
    usage: anthropicUsageSchema.nullish(),
  })
  .loose();

export const anthropicErrorBodySchema = z
  .object({ type: z.literal('error'), error: z.object({ type: z.string(), message: z.string().optional() }).loose() })
  .loose();

/** One parsed `data:` payload of a Messages stream. @see https://docs.anthropic.com/en/docs/build-with-claude/streaming */
export const anthropicStreamEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message_start'), message: z.object({ id: z.string().optional(), model: z.string().optional(), usage: anthropicUsageSchema.nullish() }).loose() }).loose(),
  z.object({ type: z.literal('content_block_start'), index: z.number(), content_block: anthropicContentBlockSchema }).loose(),
  z
    .object({
      type: z.literal('content_block_delta'),
      index: z.number(),
      delta: z
        .object({
          type: z.string(),
          text: z.string().optional(),
          partial_json: z.string().optional(),
          thinking: z.string().optional(),
          signature: z.string().optional(),
        })
        .loose(),
    })
    .loose(),
  z.object({ type: z.literal('content_block_stop'), index: z.number() }).loose(),
  z
    .object({
      type: z.literal('message_delta'),
      delta: z.object({ stop_reason: z.string().nullish(), stop_sequence: z.string().nullish() }).loose(),
      usage: anthropicUsageSchema.nullish(),
    })
    .loose(),
  z.object({ type: z.literal('message_stop') }).loose(),
  z.object({ type: z.literal('ping') }).loose(),
  anthropicErrorBodySchema,
]);

export type AnthropicStreamEvent = z.infer<typeof anthropicStreamEventSchema>;

/** `POST /v1/messages/count_tokens` response. @see https://docs.anthropic.com/en/api/messages-count-tokens */
export const anthropicCountTokensResponseSchema = z.object({ input_tokens: z.number() }).loose();
