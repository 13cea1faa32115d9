import { z } from 'zod';

/**
 * Zod schema for a client's Anthropic Messages request (the `/v1/messages` ingress). Blocks are
 * loose objects: `cache_control`, `citations` and other block extras are accepted, though the
 * canonical model does not carry them.
 * @see https://docs.anthropic.com/en/api/messages
 */

const blockTypeError = (accepted: string) => ({
  error: (issue: { input?: unknown }) => {
    const type = typeof issue.input === 'object' && issue.input !== null ? (issue.input as { type?: unknown }).type : undefined;
    return `unknown content block type ${JSON.stringify(type)}; accepted: ${accepted}`;
  },
});

const textBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
const imageBlock = z.looseObject({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('base64'), media_type: z.string().min(1), data: z.string() }),
    z.looseObject({ type: z.literal('url'), url: z.string().min(1) }),
  ]),
});
const documentBlock = z.looseObject({
  type: z.literal('document'),
  source: z.looseObject({ type: z.literal('base64'), media_type: z.literal('application/pdf'), data: z.string() }),
  title: z.string().nullish(),
});
const toolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
});
const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock], blockTypeError('text (Gantry carries tool results as text)')))]).optional(),
  is_error: z.boolean().optional(),
});
const thinkingBlock = z.looseObject({ type: z.literal('thinking'), thinking: z.string(), signature: z.string() });
const redactedThinkingBlock = z.looseObject({ type: z.literal('redacted_thinking'), data: z.string() });

const userContent = z.union([
  z.string(),
  z.array(z.discriminatedUnion('type', [textBlock, imageBlock, documentBlock, toolResultBlock], blockTypeError('text, image, document, tool_result'))),
]);
const assistantContent = z.union([
  z.string(),
  z.array(
    z.discriminatedUnion('type', [textBlock, toolUseBlock, thinkingBlock, redactedThinkingBlock], blockTypeError('text, tool_use, thinking, redacted_thinking')),
  ),
]);

const message = z.discriminatedUnion(
  'role',
  [z.object({ role: z.literal('user'), content: userContent }), z.object({ role: z.literal('assistant'), content: assistantContent })],
  {
    error: (issue) => {
      const role = typeof issue.input === 'object' && issue.input !== null ? (issue.input as { role?: unknown }).role : undefined;
      return `unknown message role ${JSON.stringify(role)}; accepted: user, assistant (system text goes in the top-level "system" field)`;
    },
  },
);

/** Client tools; server tools (`type: "web_search_20250305"`…) are rejected after parsing, by name. */
const tool = z.looseObject({
  type: z.string().optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().optional(),
});

const parallelFlag = { disable_parallel_tool_use: z.boolean().optional() };
const toolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), ...parallelFlag }),
  z.looseObject({ type: z.literal('any'), ...parallelFlag }),
  z.looseObject({ type: z.literal('tool'), name: z.string().min(1), ...parallelFlag }),
  z.looseObject({ type: z.literal('none') }),
]);

/** Keys with a canonical meaning; everything else is kept verbatim in `providerOptions.anthropic`. */
export const ANTHROPIC_CANONICAL_KEYS = new Set([
  'model',
  'messages',
  'system',
  'tools',
  'tool_choice',
  'max_tokens',
  'stop_sequences',
  'temperature',
  'top_p',
  'metadata',
  'stream',
]);

export const anthropicRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1, 'must contain at least one message'),
  system: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock], blockTypeError('text')))]).optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  max_tokens: z.number().int().positive(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
  stream: z.boolean().optional(),
  thinking: z.looseObject({ type: z.string(), budget_tokens: z.number().int().positive().optional() }).optional(),
  output_config: z
    .looseObject({
      effort: z.string().nullish(),
      format: z.looseObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(),
    })
    .optional(),
});

export type AnthropicRequest = z.infer<typeof anthropicRequestSchema>;
