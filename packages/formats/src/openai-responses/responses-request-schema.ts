import { z } from 'zod';

/**
 * Zod schemas for a client's OpenAI Responses request (the `/v1/responses` ingress). Objects are
 * loose: fields the canonical model does not carry (`id`, `status`, `annotations`, `phase`, …) are
 * accepted and left alone, since items are stored and given back as sent.
 * @see https://platform.openai.com/docs/api-reference/responses/create
 */

/** Every content part type a message can hold, whichever role it has. */
const KNOWN_PART_TYPES = new Set(['input_text', 'input_image', 'input_file', 'input_audio', 'output_text', 'refusal']);

/** The item types Gantry takes in `input`, in the order error messages list them. */
export const RESPONSES_INPUT_ITEM_TYPES = ['message', 'function_call', 'function_call_output', 'reasoning', 'item_reference'] as const;

function typeOf(input: unknown): unknown {
  return typeof input === 'object' && input !== null ? (input as { type?: unknown }).type : undefined;
}

function describeReceived(input: unknown): string {
  if (input === undefined) return 'nothing (the field is required)';
  if (input === null) return 'null';
  return Array.isArray(input) ? 'an array' : `a ${typeof input}`;
}

/** The message for a content part whose type the message's role does not take. */
function partTypeError(accepted: string, where: string) {
  return {
    error: (issue: { input?: unknown }) => {
      const type = typeOf(issue.input);
      const known = typeof type === 'string' && KNOWN_PART_TYPES.has(type);
      return known
        ? `content part type ${JSON.stringify(type)} is not accepted in ${where}; accepted: ${accepted}`
        : `unknown content part type ${JSON.stringify(type)}; accepted: ${accepted}`;
    },
  };
}

/** `content`: a string, or a list of parts; a wrong type says what was sent. */
function contentOf<Part extends z.ZodType>(part: Part) {
  return z.union([z.string(), z.array(part)], {
    error: (issue) => `expected a string or an array of content parts, got ${describeReceived(issue.input)}`,
  });
}

const inputText = z.looseObject({ type: z.literal('input_text'), text: z.string() });
const inputImage = z
  .looseObject({
    type: z.literal('input_image'),
    image_url: z.string().min(1).nullish(),
    file_id: z.string().min(1).nullish(),
    detail: z.enum(['auto', 'low', 'high', 'original']).nullish(),
  })
  .refine((part) => part.image_url != null || part.file_id != null, {
    message: 'an input_image needs image_url (an http(s) or data: URL) or file_id',
  });
const inputFile = z
  .looseObject({
    type: z.literal('input_file'),
    file_id: z.string().min(1).nullish(),
    file_data: z.string().min(1).nullish(),
    file_url: z.string().min(1).nullish(),
    filename: z.string().nullish(),
  })
  .refine((part) => part.file_url == null, {
    // Only OpenAI fetches files by URL; every other provider needs the bytes or its own file id.
    message: 'file_url is not supported through Gantry; send the file as file_data (a base64 data: URL) or as an uploaded file_id',
    path: ['file_url'],
  })
  .refine((part) => part.file_id != null || part.file_data != null, { message: 'an input_file needs file_data (a base64 data: URL) or file_id' });
const inputAudio = z.looseObject({
  type: z.literal('input_audio'),
  input_audio: z.looseObject({ data: z.string(), format: z.string().min(1) }),
});
const outputText = z.looseObject({ type: z.literal('output_text'), text: z.string() });
const refusal = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });

const userContent = contentOf(
  z.discriminatedUnion('type', [inputText, inputImage, inputFile, inputAudio], partTypeError('input_text, input_image, input_file, input_audio', 'a user message')),
);
const systemContent = contentOf(z.discriminatedUnion('type', [inputText], partTypeError('input_text', 'a system or developer message')));
const assistantContent = contentOf(z.discriminatedUnion('type', [outputText, refusal], partTypeError('output_text, refusal', 'an assistant message')));

const messageItem = z.discriminatedUnion(
  'role',
  [
    z.looseObject({ type: z.literal('message'), role: z.literal('user'), content: userContent }),
    z.looseObject({ type: z.literal('message'), role: z.enum(['system', 'developer']), content: systemContent }),
    z.looseObject({ type: z.literal('message'), role: z.literal('assistant'), content: assistantContent }),
  ],
  {
    error: (issue) => {
      const role = typeof issue.input === 'object' && issue.input !== null ? (issue.input as { role?: unknown }).role : undefined;
      return `unknown message role ${JSON.stringify(role)}; accepted: user, system, developer, assistant`;
    },
  },
);

const functionCallItem = z.looseObject({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  id: z.string().nullish(),
  status: z.string().nullish(),
});

const functionCallOutputItem = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: z.union(
    [
      z.string(),
      z.array(
        z.discriminatedUnion('type', [inputText], {
          error: (issue) => {
            const type = typeOf(issue.input);
            return type === 'input_image' || type === 'input_file'
              ? `Gantry carries function call outputs as text; content part type ${JSON.stringify(type)} cannot be sent here: put it in a user message after the output`
              : `unknown content part type ${JSON.stringify(type)}; accepted: input_text`;
          },
        }),
      ),
    ],
    { error: (issue) => `expected a string or an array of input_text parts, got ${describeReceived(issue.input)}` },
  ),
  id: z.string().nullish(),
  status: z.string().nullish(),
});

const reasoningItem = z.looseObject({
  type: z.literal('reasoning'),
  id: z.string().min(1),
  summary: z.array(z.looseObject({ type: z.literal('summary_text'), text: z.string() })),
  encrypted_content: z.string().nullish(),
  content: z.array(z.looseObject({ type: z.literal('reasoning_text'), text: z.string() })).nullish(),
});

const itemReference = z.looseObject({ type: z.literal('item_reference'), id: z.string().min(1) });

/**
 * One `input` item. `type` is required here: the decoder fills it in first for the forms OpenAI
 * lets a client leave it off (a message with `role`, an item reference with only `id`).
 */
export const responsesInputItemSchema = z.discriminatedUnion('type', [messageItem, functionCallItem, functionCallOutputItem, reasoningItem, itemReference], {
  error: (issue) => {
    const type = typeOf(issue.input);
    const sent = type === undefined ? 'an item without a type' : `unknown item type ${JSON.stringify(type)}`;
    return `${sent}; accepted: ${RESPONSES_INPUT_ITEM_TYPES.join(', ')} (or a message given as {role, content})`;
  },
});

/** A validated input item. */
export type ResponsesInputItem = z.infer<typeof responsesInputItemSchema>;

/**
 * A tool's (or tool choice's) type that is not a string. Any string but `function` is a built-in
 * tool, so this message is only seen for a missing or mistyped `type`.
 */
const toolTypeError = {
  error: (issue: { input?: unknown }) => `expected a tool type ("function" or a built-in tool such as "web_search"), got ${describeReceived(issue.input)}`,
};

/** A function tool: FLAT in Responses (`{type, name, parameters}`), no nested `function` object. */
const functionTool = z.looseObject({
  type: z.literal('function', toolTypeError),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
/** Any other tool (web_search, file_search, mcp, custom, …): kept raw for targets that run them. */
const builtinTool = z.looseObject({ type: z.string().min(1).refine((type) => type !== 'function', { abort: true }) });

const tool = z.union([functionTool, builtinTool], {
  error: (issue) => `expected a tool object with a type, got ${describeReceived(issue.input)}`,
});

const toolChoice = z.union(
  [
    z.enum(['auto', 'none', 'required']),
    z.looseObject({ type: z.literal('function', toolTypeError), name: z.string().min(1) }),
    z.looseObject({ type: z.string().min(1).refine((type) => type !== 'function', { abort: true }) }),
  ],
  { error: () => 'expected "auto", "none", "required" or a tool choice object such as {"type":"function","name":"…"}' },
);

const textFormat = z.discriminatedUnion(
  'type',
  [
    z.looseObject({ type: z.literal('text') }),
    z.looseObject({ type: z.literal('json_object') }),
    z.looseObject({
      type: z.literal('json_schema'),
      name: z.string().min(1),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()),
      strict: z.boolean().nullish(),
    }),
  ],
  {
    error: (issue) =>
      `unknown text format type ${JSON.stringify(typeOf(issue.input))}; accepted: text, json_object, json_schema (flat: {type, name, schema, strict})`,
  },
);

const METADATA_MAX_PAIRS = 16;

/** OpenAI's limits: 16 pairs, keys up to 64 characters, values up to 512. */
const metadata = z
  .record(z.string(), z.string().max(512, 'metadata values are at most 512 characters'))
  .refine((value) => Object.keys(value).length <= METADATA_MAX_PAIRS, {
    message: `metadata holds at most ${METADATA_MAX_PAIRS} key-value pairs`,
  })
  .refine((value) => Object.keys(value).every((key) => key.length <= 64), { message: 'metadata keys are at most 64 characters' });

/**
 * Keys that have a canonical meaning or that Gantry handles itself (stored state, refusals);
 * every other key is kept raw in `providerOptions.openaiResponses`.
 */
export const RESPONSES_HANDLED_KEYS = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'text',
  'reasoning',
  'max_output_tokens',
  'temperature',
  'top_p',
  'metadata',
  'store',
  'previous_response_id',
  'user',
  'stream',
  'background',
  'conversation',
  'prompt',
]);

/** A `POST /v1/responses` body. `background`, `conversation` and `prompt` are refused before parsing. */
export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z
    .union([z.string(), z.array(responsesInputItemSchema)], {
      error: (issue) => `expected a string or an array of input items, got ${describeReceived(issue.input)}`,
    })
    .optional(),
  instructions: z.string().nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z.looseObject({ format: textFormat.nullish(), verbosity: z.enum(['low', 'medium', 'high']).nullish() }).nullish(),
  reasoning: z.looseObject({ effort: z.string().min(1).nullish(), summary: z.enum(['auto', 'concise', 'detailed']).nullish() }).nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  metadata: metadata.nullish(),
  store: z.boolean().nullish(),
  previous_response_id: z.string().min(1).nullish(),
  include: z.array(z.string()).nullish(),
  user: z.string().nullish(),
  stream: z.boolean().nullish(),
  max_tool_calls: z.number().int().positive().nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
});

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;
