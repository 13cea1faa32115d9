import { InvalidRequestError, type ChatRequest, type ResponseFormat, type ToolChoice, type ToolDefinition } from '@gantry/spec';
import { encodeResponsesInput } from './encode-responses-input.ts';

export interface EncodeResponsesRequestOptions {
  /** The model name the provider knows (without Gantry's `provider/` prefix). */
  model: string;
  /** Ask for an event stream (`stream: true`). */
  stream?: boolean;
  /** Provider name for error messages. Default `openai`. */
  provider?: string;
  /**
   * Ask for `reasoning.encrypted_content`, so reasoning can be sent back on the next turn. OpenAI
   * refuses the include for models that do not reason ("Encrypted content is not supported with
   * this model", a 400 for gpt-4o, gpt-4.1, gpt-5-chat), so by default it is asked for only when
   * the call looks like a reasoning call: see `wantsEncryptedReasoning`.
   */
  encryptedReasoning?: boolean;
}

/** Model names of OpenAI's reasoning models: o1, o3-mini, o4-mini, gpt-5*, codex-*, gpt-oss-* — but not gpt-5-chat. */
const REASONING_MODEL = /^(o\d+(-|$)|gpt-5(?!.*-chat)|codex-|gpt-oss-)/;

/**
 * Whether a call should ask for encrypted reasoning: the model is named like a reasoning model,
 * or the request sets a reasoning effort, or its raw Responses options configure `reasoning`
 * (an Azure deployment or a fine-tune can have any name; asking for reasoning is the sign).
 */
export function wantsEncryptedReasoning(chat: ChatRequest, model: string): boolean {
  return REASONING_MODEL.test(model) || chat.reasoningEffort !== undefined || chat.providerOptions?.openaiResponses?.reasoning !== undefined;
}

/**
 * Raw fields that are Gantry's to decide, never taken from `providerOptions.openaiResponses`:
 * the model and conversation, streaming, and upstream state (Gantry keeps its own; a background
 * or stored response would leave the call without its answer).
 */
const GANTRY_OWNED_KEYS = new Set(['model', 'input', 'stream', 'store', 'previous_response_id', 'conversation', 'background']);

/** Fields of a chat request's `providerOptions.openai` that mean the same on the Responses API. */
const SAME_MEANING_CHAT_OPTIONS = ['metadata', 'service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier'];

/**
 * Flat function tools. `strict` defaults to false as in chat completions: the Responses API
 * otherwise rewrites a schema into strict mode, making optional fields required.
 * @see https://platform.openai.com/docs/guides/function-calling#strict-mode
 */
function encodeTool(tool: ToolDefinition): Record<string, unknown> {
  return {
    type: 'function',
    name: tool.name,
    ...(tool.description === undefined ? {} : { description: tool.description }),
    parameters: tool.parameters ?? null,
    strict: tool.strict ?? false,
  };
}

/** @see https://platform.openai.com/docs/api-reference/responses/create#responses-create-tool_choice */
function encodeToolChoice(choice: ToolChoice): unknown {
  return typeof choice === 'string' ? choice : { type: 'function', name: choice.name };
}

/** `response_format` → `text.format`, with the json_schema fields flat. @see https://platform.openai.com/docs/api-reference/responses/create#responses-create-text */
function encodeFormat(format: ResponseFormat): Record<string, unknown> {
  if (format.type !== 'json_schema') return { type: format.type };
  return {
    type: 'json_schema',
    name: format.name,
    ...(format.description === undefined ? {} : { description: format.description }),
    ...(format.schema === undefined ? {} : { schema: format.schema }),
    ...(format.strict === undefined ? {} : { strict: format.strict }),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Canonical fields the Responses API has no place for and whose loss would change the answer. */
function refuseUnsupported(chat: ChatRequest, provider: string): void {
  const fix = 'or route the model to a target with api: chat';
  if (chat.n !== undefined && chat.n > 1) {
    throw new InvalidRequestError(`provider ${provider} is called through the Responses API, which generates one choice per request; got n=${chat.n}. Send n=1 or omit it, ${fix}.`, { param: 'n' });
  }
  if (chat.stop !== undefined && chat.stop.length > 0) {
    throw new InvalidRequestError(`provider ${provider} is called through the Responses API, which has no stop sequences; remove stop, ${fix}.`, { param: 'stop' });
  }
}

/**
 * Merges the raw Responses fields last: built-in `tools` after the function tools, `include`
 * values added to Gantry's, `reasoning` and `text` key by key, anything else as given.
 */
function mergeRawOptions(body: Record<string, unknown>, raw: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(raw)) {
    if (GANTRY_OWNED_KEYS.has(key)) continue;
    const current = body[key];
    if ((key === 'tools' || key === 'include') && Array.isArray(value)) {
      const merged = [...(Array.isArray(current) ? current : []), ...value];
      body[key] = key === 'include' ? [...new Set(merged)] : merged;
    } else if ((key === 'reasoning' || key === 'text') && isRecord(current) && isRecord(value)) {
      body[key] = { ...current, ...value };
    } else body[key] = value;
  }
}

/**
 * Encodes a canonical request as a `POST /v1/responses` body.
 *
 * - Messages → `instructions` and `input` items (see `encodeResponsesInput`); tools flat;
 *   `toolChoice`, `parallelToolCalls`; `responseFormat` → `text.format`; `reasoningEffort` →
 *   `reasoning.effort`; `maxOutputTokens` → `max_output_tokens`; `temperature`, `top_p`, `user`.
 * - `store: false` always: Gantry keeps the conversation itself and sends it whole each turn, so
 *   nothing needs to live upstream (and nothing a client sent is retained there).
 * - `include: ["reasoning.encrypted_content"]` when the call reasons (see
 *   `EncodeResponsesRequestOptions.encryptedReasoning`), so reasoning can be sent back statelessly.
 * - `n > 1` and `stop` are refused with a 400; `seed`, `frequencyPenalty` and `presencePenalty`
 *   have no Responses field and are not sent, as on Anthropic targets.
 * - `providerOptions.openaiResponses` (raw Responses fields, wire form: built-in `tools`, a
 *   built-in `tool_choice`, `reasoning.summary`, `include`, `truncation`, …) is merged last; the
 *   same-meaning fields of `providerOptions.openai` (`metadata`, `service_tier`, …) are kept.
 * @see https://platform.openai.com/docs/api-reference/responses/create
 */
export function encodeResponsesRequest(chat: ChatRequest, options: EncodeResponsesRequestOptions): Record<string, unknown> {
  const provider = options.provider ?? 'openai';
  refuseUnsupported(chat, provider);
  const { instructions, input } = encodeResponsesInput(chat.messages, provider);
  const body: Record<string, unknown> = { model: options.model };
  if (instructions !== undefined) body.instructions = instructions;
  body.input = input;
  if (chat.tools !== undefined) body.tools = chat.tools.map(encodeTool);
  if (chat.toolChoice !== undefined) body.tool_choice = encodeToolChoice(chat.toolChoice);
  if (chat.parallelToolCalls !== undefined) body.parallel_tool_calls = chat.parallelToolCalls;
  if (chat.responseFormat !== undefined) body.text = { format: encodeFormat(chat.responseFormat) };
  if (chat.reasoningEffort !== undefined) body.reasoning = { effort: chat.reasoningEffort };
  if (chat.maxOutputTokens !== undefined) body.max_output_tokens = chat.maxOutputTokens;
  if (chat.temperature !== undefined) body.temperature = chat.temperature;
  if (chat.topP !== undefined) body.top_p = chat.topP;
  if (chat.user !== undefined) body.user = chat.user;

  const chatOptions = chat.providerOptions?.openai ?? {};
  for (const key of SAME_MEANING_CHAT_OPTIONS) if (chatOptions[key] !== undefined) body[key] = chatOptions[key];
  if (chatOptions.verbosity !== undefined) body.text = { ...(isRecord(body.text) ? body.text : {}), verbosity: chatOptions.verbosity };

  // Gantry keeps its own state: each call carries the whole conversation, so nothing is stored upstream.
  body.store = false;
  if (options.encryptedReasoning ?? wantsEncryptedReasoning(chat, options.model)) body.include = ['reasoning.encrypted_content'];
  const raw = chat.providerOptions?.openaiResponses;
  if (raw !== undefined) mergeRawOptions(body, raw);
  if (options.stream === true) body.stream = true;
  return body;
}
