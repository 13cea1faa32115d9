import { z } from 'zod';

/**
 * Zod schemas for the OpenAI chat completions wire format, inbound (client → gateway) and the
 * provider responses we parse. @see https://platform.openai.com/docs/api-reference/chat/create
 */

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
});
const audioPart = z.object({
  type: z.literal('input_audio'),
  input_audio: z.object({ data: z.string(), format: z.string() }),
});
const filePart = z.object({
  type: z.literal('file'),
  file: z.object({ file_id: z.string().optional(), file_data: z.string().optional(), filename: z.string().optional() }),
});
const refusalPart = z.object({ type: z.literal('refusal'), refusal: z.string() });

const partTypeError = (accepted: string) => ({
  error: (issue: { input?: unknown }) => {
    const type = typeof issue.input === 'object' && issue.input !== null ? (issue.input as { type?: unknown }).type : undefined;
    return `unknown content part type ${JSON.stringify(type)}; accepted: ${accepted}`;
  },
});

const userContent = z.union([
  z.string(),
  z.array(z.discriminatedUnion('type', [textPart, imagePart, audioPart, filePart], partTypeError('text, image_url, input_audio, file'))),
]);
const textContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart], partTypeError('text')))]);
const assistantContent = z.union([
  z.string(),
  z.array(z.discriminatedUnion('type', [textPart, refusalPart], partTypeError('text, refusal'))),
]);

export const openaiToolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const message = z.discriminatedUnion(
  'role',
  [
    z.object({ role: z.enum(['system']), content: textContent, name: z.string().optional() }),
    z.object({ role: z.enum(['developer']), content: textContent, name: z.string().optional() }),
    z.object({ role: z.literal('user'), content: userContent, name: z.string().optional() }),
    z.object({
      role: z.literal('assistant'),
      content: assistantContent.nullish(),
      refusal: z.string().nullish(),
      name: z.string().optional(),
      tool_calls: z.array(openaiToolCallSchema).optional(),
      /** Gantry extension: reasoning text and its provider signature, so thinking survives a round trip. */
      reasoning_content: z.string().nullish(),
      reasoning_signature: z.string().nullish(),
    }),
    z.object({ role: z.literal('tool'), content: textContent, tool_call_id: z.string().min(1) }),
  ],
  {
    error: (issue) => {
      const role = typeof issue.input === 'object' && issue.input !== null ? (issue.input as { role?: unknown }).role : undefined;
      return `unknown message role ${JSON.stringify(role)}; accepted: system, developer, user, assistant, tool`;
    },
  },
);

const tool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().min(1),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

/** Keys with a canonical meaning; everything else is kept verbatim in `providerOptions.openai`. */
export const OPENAI_CANONICAL_KEYS = new Set([
  'model',
  'messages',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'seed',
  'frequency_penalty',
  'presence_penalty',
  'n',
  'reasoning_effort',
  'user',
  'stream',
  'stream_options',
]);

export const openaiChatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1, 'must contain at least one message'),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormat.optional(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  reasoning_effort: z.string().nullish(),
  user: z.string().optional(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullish(),
});

export type OpenAIChatRequest = z.infer<typeof openaiChatRequestSchema>;

export const openaiEmbeddingRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1, 'must not be empty'),
    z.array(z.number().int()).min(1, 'must not be empty'),
    z.array(z.array(z.number().int())).min(1, 'must not be empty'),
  ]),
  dimensions: z.number().int().positive().optional(),
  encoding_format: z.enum(['float', 'base64']).optional(),
  user: z.string().optional(),
});

const usageSchema = z.object({
  prompt_tokens: z.number(),
  completion_tokens: z.number().optional(),
  total_tokens: z.number().optional(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish(),
});

export type OpenAIUsage = z.infer<typeof usageSchema>;

/** Fields every completion and every stream chunk carries. */
const responseEnvelope = {
  id: z.string().optional(),
  model: z.string().optional(),
  created: z.number().optional(),
  system_fingerprint: z.string().nullish(),
  service_tier: z.string().nullish(),
};

/*
 * The provider response schemas below accept the fields providers add and drop them (the raw body
 * is kept as it came): parsing copies only what we map, which matters once per stream chunk.
 */

/** A provider's non-streaming response. */
export const openaiChatResponseSchema = z.object({
  ...responseEnvelope,
  choices: z.array(
    z.object({
      index: z.number().optional(),
      message: z.object({
        content: z.string().nullish(),
        refusal: z.string().nullish(),
        tool_calls: z.array(openaiToolCallSchema).nullish(),
        reasoning_content: z.string().nullish(),
        reasoning: z.string().nullish(),
      }),
      finish_reason: z.string().nullish(),
      logprobs: z.unknown().optional(),
    }),
  ),
  usage: usageSchema.nullish(),
});

export type OpenAIChatResponse = z.infer<typeof openaiChatResponseSchema>;

/** One parsed `data:` payload of a provider stream. */
export const openaiChatChunkSchema = z.object({
  ...responseEnvelope,
  choices: z
    .array(
      z.object({
        index: z.number().optional(),
        delta: z
          .object({
            content: z.string().nullish(),
            refusal: z.string().nullish(),
            reasoning_content: z.string().nullish(),
            reasoning: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().optional(),
                  id: z.string().nullish(),
                  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
        logprobs: z.unknown().optional(),
      }),
    )
    .optional(),
  usage: usageSchema.nullish(),
  error: z.unknown().optional(),
});

export type OpenAIChatChunk = z.infer<typeof openaiChatChunkSchema>;

export const openaiEmbeddingResponseSchema = z.object({
  model: z.string().optional(),
  data: z.array(z.object({ index: z.number(), embedding: z.union([z.array(z.number()), z.string()]) })),
  usage: z.object({ prompt_tokens: z.number() }).optional(),
});
