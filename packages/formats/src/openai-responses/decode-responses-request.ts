import { InvalidRequestError, type ChatRequest, type ResponseFormat, type ToolChoice, type ToolDefinition } from '@gantry/spec';
import { checkJsonDepth } from '../check-json-value.ts';
import { toInvalidRequestError } from '../format-zod-error.ts';
import { RESPONSES_HANDLED_KEYS, responsesRequestSchema, type ResponsesRequest } from './responses-request-schema.ts';
import type { DecodedResponsesRequest, ResponsesEcho, ResponsesItem } from './responses-types.ts';

type WireTool = NonNullable<ResponsesRequest['tools']>[number];
type WireFunctionTool = Extract<WireTool, { type: 'function' }>;

/**
 * Parameters Gantry cannot honour, refused before anything else is checked (a `prompt` request
 * usually has no `input`, and "input is required" would send the client the wrong way).
 */
function refuseUnsupported(body: Record<string, unknown>): void {
  if (body.background === true) {
    throw new InvalidRequestError(
      'background: background responses are not supported through Gantry; send the request without background (stream it with "stream": true if it runs long)',
      { param: 'background' },
    );
  }
  if (body.conversation != null) {
    throw new InvalidRequestError(
      'conversation: conversations are not supported through Gantry; chain turns with previous_response_id, or send the earlier turns in input',
      { param: 'conversation' },
    );
  }
  if (body.prompt != null) {
    throw new InvalidRequestError(
      'prompt: stored prompt templates are not supported through Gantry; send the prompt text in instructions and input instead',
      { param: 'prompt' },
    );
  }
}

/**
 * The item's `type` where OpenAI lets a client leave it off: `{role, content}` is a message
 * (EasyInputMessage) and `{id}` alone an item reference. Other items are returned unchanged.
 */
function withInferredType(item: unknown): unknown {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
  const { type, ...rest } = item as Record<string, unknown>;
  if (type != null) return item;
  // `type` first, as OpenAI writes items; an explicit `type: null` (allowed for references) is replaced.
  if ('role' in rest) return { type: 'message', ...rest };
  if (typeof rest.id === 'string') return { type: 'item_reference', ...rest };
  return item;
}

/** `input` as items: a string is one user message. */
function inputItems(input: unknown): ResponsesItem[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  return Array.isArray(input) ? (input as ResponsesItem[]) : [];
}

function isFunctionTool(tool: WireTool): tool is WireFunctionTool {
  return tool.type === 'function';
}

function toToolDefinition(tool: WireFunctionTool): ToolDefinition {
  return {
    name: tool.name,
    ...(tool.description == null ? {} : { description: tool.description }),
    ...(tool.parameters == null ? {} : { parameters: tool.parameters }),
    ...(tool.strict == null ? {} : { strict: tool.strict }),
  };
}

/**
 * The canonical tool choice. A built-in tool's choice (`{type:"web_search_preview"}`, `mcp`,
 * `custom`) has no canonical form: the raw choice travels in provider options and the canonical
 * one is `auto`; `allowed_tools` keeps its mode.
 */
function toToolChoice(choice: NonNullable<ResponsesRequest['tool_choice']>): ToolChoice {
  if (typeof choice === 'string') return choice;
  if (choice.type === 'function' && typeof choice.name === 'string') return { name: choice.name };
  if (choice.type === 'allowed_tools' && choice.mode === 'required') return 'required';
  return 'auto';
}

/** @see https://platform.openai.com/docs/api-reference/responses/create#responses_create-text */
function toResponseFormat(format: NonNullable<NonNullable<ResponsesRequest['text']>['format']>): ResponseFormat {
  if (format.type !== 'json_schema') return { type: format.type };
  return {
    type: 'json_schema',
    name: format.name,
    ...(format.description == null ? {} : { description: format.description }),
    schema: format.schema,
    ...(format.strict == null ? {} : { strict: format.strict }),
  };
}

/** The entries of `value` other than `except` whose value is set (null means "not set" throughout Responses). */
function restOf(value: Record<string, unknown> | null | undefined, except: string): Record<string, unknown> | undefined {
  if (value == null) return undefined;
  const rest = Object.fromEntries(Object.entries(value).filter(([key, entry]) => key !== except && entry != null));
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/**
 * What has no canonical meaning, raw, for targets that speak Responses: built-in tools and their
 * tool choice, `text` but its format, `reasoning` but its effort, and every key Gantry does not
 * handle itself (`include`, `truncation`, `max_tool_calls`, `top_logprobs`, `prompt_cache_key`,
 * `safety_identifier`, `service_tier`, unknown keys).
 */
function responsesOnlyOptions(body: Record<string, unknown>, wire: ResponsesRequest): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!RESPONSES_HANDLED_KEYS.has(key) && value != null) options[key] = value;
  }
  // As on chat completions: stream options mean nothing, and are refused upstream, without streaming.
  if (wire.stream !== true) delete options.stream_options;
  const rawTools = Array.isArray(body.tools) ? (body.tools as unknown[]) : [];
  const builtinTools = rawTools.filter((_tool, index) => wire.tools?.[index]?.type !== 'function');
  if (builtinTools.length > 0) options.tools = builtinTools;
  const choice = wire.tool_choice;
  if (choice != null && typeof choice === 'object' && choice.type !== 'function') options.tool_choice = body.tool_choice;
  const text = restOf(body.text as Record<string, unknown> | null | undefined, 'format');
  if (text !== undefined) options.text = text;
  const reasoning = restOf(body.reasoning as Record<string, unknown> | null | undefined, 'effort');
  if (reasoning !== undefined) options.reasoning = reasoning;
  return options;
}

/**
 * The request as a Response echoes it, OpenAI's defaults filled in. Tools, tool choice and text
 * format are echoed as sent.
 */
function echoOf(body: Record<string, unknown>, wire: ResponsesRequest): ResponsesEcho {
  return {
    instructions: wire.instructions ?? null,
    max_output_tokens: wire.max_output_tokens ?? null,
    max_tool_calls: wire.max_tool_calls ?? null,
    parallel_tool_calls: wire.parallel_tool_calls ?? true,
    previous_response_id: wire.previous_response_id ?? null,
    reasoning: { effort: wire.reasoning?.effort ?? null, summary: wire.reasoning?.summary ?? null },
    store: wire.store ?? true,
    temperature: wire.temperature ?? 1,
    text: {
      format: (body.text as { format?: Record<string, unknown> | null } | null | undefined)?.format ?? { type: 'text' },
      verbosity: wire.text?.verbosity ?? 'medium',
    },
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_logprobs: wire.top_logprobs ?? 0,
    top_p: wire.top_p ?? 1,
    truncation: wire.truncation ?? 'disabled',
    user: wire.user ?? null,
    metadata: wire.metadata ?? {},
  };
}

function toChatRequest(body: Record<string, unknown>, wire: ResponsesRequest): ChatRequest {
  const chat: ChatRequest = {
    model: wire.model,
    // Filled by the route once previous_response_id and item references are resolved.
    messages: [],
    stream: wire.stream === true,
    // A Response always reports usage, streamed or not.
    includeUsage: true,
  };
  const functionTools = (wire.tools ?? []).filter(isFunctionTool);
  if (functionTools.length > 0) chat.tools = functionTools.map(toToolDefinition);
  if (wire.tool_choice != null) chat.toolChoice = toToolChoice(wire.tool_choice);
  if (wire.parallel_tool_calls != null) chat.parallelToolCalls = wire.parallel_tool_calls;
  if (wire.text?.format != null) chat.responseFormat = toResponseFormat(wire.text.format);
  if (wire.max_output_tokens != null) chat.maxOutputTokens = wire.max_output_tokens;
  if (wire.temperature != null) chat.temperature = wire.temperature;
  if (wire.top_p != null) chat.topP = wire.top_p;
  if (wire.reasoning?.effort != null) chat.reasoningEffort = wire.reasoning.effort;
  if (wire.user != null) chat.user = wire.user;
  // Never `providerOptions.openai`: that is spread into chat completions bodies, where these keys mean nothing.
  const options = responsesOnlyOptions(body, wire);
  if (Object.keys(options).length > 0) chat.providerOptions = { openaiResponses: options };
  return chat;
}

/**
 * Decodes a client's `POST /v1/responses` body: the canonical request without its messages (they
 * need stored state: see `responsesItemsToMessages`), this turn's input items as sent, and what
 * the Response will echo. Throws InvalidRequestError naming the field (`input[3].type`), also for
 * a body nested deeper than `MAX_JSON_DEPTH` levels, and for what Gantry cannot honour:
 * `background: true`, `conversation`, `prompt`.
 * @see https://platform.openai.com/docs/api-reference/responses/create
 */
export function decodeResponsesRequest(body: unknown): DecodedResponsesRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('request body must be a JSON object with "model" and "input"');
  }
  // Items and unknown keys are kept and stored verbatim: past a bound, serializing them would run out of stack.
  checkJsonDepth(body);
  const record = body as Record<string, unknown>;
  refuseUnsupported(record);
  const normalized: Record<string, unknown> = Array.isArray(record.input) ? { ...record, input: record.input.map(withInferredType) } : record;
  const parsed = responsesRequestSchema.safeParse(normalized, { reportInput: true });
  if (!parsed.success) throw toInvalidRequestError(parsed.error, 'responses request');
  const wire = parsed.data;
  if (wire.input === undefined && wire.previous_response_id == null) {
    throw new InvalidRequestError(
      'invalid responses request: input: expected a string or an array of input items, got nothing (the field is required unless previous_response_id is given)',
      { param: 'input' },
    );
  }

  return {
    chat: toChatRequest(record, wire),
    instructions: wire.instructions ?? undefined,
    input: inputItems(normalized.input),
    previousResponseId: wire.previous_response_id ?? undefined,
    store: wire.store ?? true,
    include: wire.include ?? [],
    echo: echoOf(record, wire),
  };
}
