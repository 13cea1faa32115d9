import type { AssistantPart, ChatResult, FinishReason, ReasoningPart, RefusalPart, TextPart, ToolCallPart, Usage } from '@gantry/spec';
import type { ResponsesEcho, ResponsesIdMinter, ResponsesItem, ResponsesResponse } from './responses-types.ts';

/** What a Response needs besides the canonical result: its identity, the request echo and an id source. */
export interface ResponsesEncodeOptions {
  /** The response id the client sees (`resp_…`). */
  id: string;
  /** `created_at`, Unix seconds. */
  createdAt: number;
  /** The request fields a Response repeats, OpenAI's defaults filled in. */
  echo: ResponsesEcho;
  /** Called once per output item, in output order. */
  mintId: ResponsesIdMinter;
  /**
   * Streams: what the client asked to see with `include`. Without `reasoning.encrypted_content`
   * the frames leave that field out of reasoning items; the Response `finish`/`fail` return (what
   * is stored) keeps it either way.
   */
  include?: readonly string[];
}

/** The `include` value that asks for reasoning items' `encrypted_content`. */
export const INCLUDE_ENCRYPTED_REASONING = 'reasoning.encrypted_content';

/** An item as a client sees it: a reasoning item's `encrypted_content` only when `include` asked for it. */
export function itemForClient(item: ResponsesItem, include: readonly string[] | undefined): ResponsesItem {
  if (item.type !== 'reasoning' || !('encrypted_content' in item) || include?.includes(INCLUDE_ENCRYPTED_REASONING)) return item;
  const { encrypted_content: _hidden, ...rest } = item;
  return rest as ResponsesItem;
}

/** A Response as a client sees it (see `itemForClient`). */
export function responseForClient(response: ResponsesResponse, include: readonly string[] | undefined): ResponsesResponse {
  if (include?.includes(INCLUDE_ENCRYPTED_REASONING) || !response.output.some((item) => item.type === 'reasoning')) return response;
  return { ...response, output: response.output.map((item) => itemForClient(item, include)) };
}

/**
 * Marks a reasoning item's `encrypted_content` as Gantry's wrapping of a provider's redacted reasoning
 * (Anthropic `redacted_thinking` data) rather than a signature; the Responses decoder strips it to
 * give back `redactedData`.
 */
export const REDACTED_REASONING_PREFIX = 'gantry:redacted:';

/** A part of an assistant `message` item: text (`output_text`) or a refusal. */
export type ResponsesMessagePart = Pick<TextPart, 'type' | 'text'> | RefusalPart;

/** `usage` of a Response in wire form (`null` while unknown, as in `response.created`). */
export type ResponsesUsage = {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
} | null;

/** How a Response ended: its `status` and `incomplete_details`. */
export interface ResponsesOutcome {
  status: 'completed' | 'incomplete';
  incompleteDetails: { reason: 'max_output_tokens' | 'content_filter' } | null;
}

/** The fields of a Response that are not echoed from the request. */
export interface ResponsesEnvelopeFields {
  status: ResponsesResponse['status'];
  error: { code: string; message: string } | null;
  incompleteDetails: ResponsesOutcome['incompleteDetails'];
  model: string;
  output: ResponsesItem[];
  serviceTier: string;
  usage: ResponsesUsage;
}

/**
 * Maps a canonical finish reason to a Response's status: `length` and `content-filter` make it
 * `incomplete` (HTTP 200, not an error), everything else `completed`.
 * @see https://platform.openai.com/docs/api-reference/responses/object#responses/object-incomplete_details
 */
export function responsesOutcome(finishReason: FinishReason): ResponsesOutcome {
  if (finishReason === 'length') return { status: 'incomplete', incompleteDetails: { reason: 'max_output_tokens' } };
  if (finishReason === 'content-filter') return { status: 'incomplete', incompleteDetails: { reason: 'content_filter' } };
  return { status: 'completed', incompleteDetails: null };
}

/**
 * Canonical usage → Response `usage`; absent token details count 0, as OpenAI reports them.
 * @see https://platform.openai.com/docs/api-reference/responses/object#responses/object-usage
 */
export function encodeResponsesUsage(usage: Usage | undefined): ResponsesUsage {
  if (usage === undefined) return null;
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** One content part of a `message` item, keys in the recorded order. */
export function responsesContentPart(part: ResponsesMessagePart): Record<string, unknown> {
  return part.type === 'text' ? { type: 'output_text', annotations: [], logprobs: [], text: part.text } : { type: 'refusal', refusal: part.text };
}

/** An assistant `message` item, keys in the recorded order. */
export function responsesMessageItem(id: string, status: string, content: readonly ResponsesMessagePart[]): ResponsesItem {
  return { id, type: 'message', status, content: content.map(responsesContentPart), role: 'assistant' };
}

/** A `function_call` item: `call_id` is the canonical tool-call id, which the client's `function_call_output` answers. */
export function responsesFunctionCallItem(id: string, status: string, call: Pick<ToolCallPart, 'id' | 'name' | 'arguments'>): ResponsesItem {
  return { id, type: 'function_call', status, arguments: call.arguments, call_id: call.id, name: call.name };
}

/** A `reasoning` item: the text as one summary part (none when empty); no `status`, as recorded. */
export function responsesReasoningItem(id: string, text: string, encryptedContent: string | undefined): ResponsesItem {
  const summary = text === '' ? [] : [{ type: 'summary_text', text }];
  return encryptedContent === undefined ? { id, type: 'reasoning', summary } : { id, type: 'reasoning', encrypted_content: encryptedContent, summary };
}

/**
 * The `encrypted_content` of the reasoning items one reasoning part becomes. A part has one item,
 * carrying its signature or else its redacted data (prefixed). A part with both readable reasoning
 * (text or a signature) and redacted data, which a fold of adjacent Anthropic blocks gives, becomes
 * two items, the redacted one second, so that neither the signature nor the data is lost.
 */
export function reasoningEncryptedContents(part: Pick<ReasoningPart, 'text' | 'signature' | 'redactedData'>): {
  encryptedContent: string | undefined;
  trailingRedacted: string | undefined;
} {
  const redacted = part.redactedData === undefined ? undefined : REDACTED_REASONING_PREFIX + part.redactedData;
  if (redacted !== undefined && (part.text !== '' || part.signature !== undefined)) return { encryptedContent: part.signature, trailingRedacted: redacted };
  return { encryptedContent: part.signature ?? redacted, trailingRedacted: undefined };
}

function reasoningItems(part: ReasoningPart, mintId: ResponsesIdMinter): ResponsesItem[] {
  const { encryptedContent, trailingRedacted } = reasoningEncryptedContents(part);
  const first = responsesReasoningItem(mintId('rs'), part.text, encryptedContent);
  return trailingRedacted === undefined ? [first] : [first, responsesReasoningItem(mintId('rs'), '', trailingRedacted)];
}

/**
 * Canonical parts → Response output items, in content order: each run of text and refusal parts is
 * one `message` (empty parts left out; a run with nothing left is no item), each tool call a
 * `function_call`, each reasoning part a `reasoning` item. When the response is incomplete, a
 * message that is the last item was cut short and says so in its `status`.
 * @see https://platform.openai.com/docs/api-reference/responses/object#responses/object-output
 */
export function encodeResponsesOutput(content: readonly AssistantPart[], outcome: ResponsesOutcome, mintId: ResponsesIdMinter): ResponsesItem[] {
  const items: ResponsesItem[] = [];
  let run: ResponsesMessagePart[] = [];
  const endRun = (): void => {
    const shown = run.filter((part) => part.text !== '');
    run = [];
    if (shown.length > 0) items.push(responsesMessageItem(mintId('msg'), 'completed', shown));
  };
  for (const part of content) {
    if (part.type === 'text' || part.type === 'refusal') {
      run.push(part);
      continue;
    }
    endRun();
    if (part.type === 'tool-call') items.push(responsesFunctionCallItem(mintId('fc'), 'completed', part));
    else items.push(...reasoningItems(part, mintId));
  }
  endRun();
  const last = items.at(-1);
  if (outcome.status === 'incomplete' && last?.type === 'message') last.status = 'incomplete';
  return items;
}

/** A Response object with its keys in the order the API sends them; the request's fields from `echo`. */
export function responsesEnvelope(options: Pick<ResponsesEncodeOptions, 'id' | 'createdAt' | 'echo'>, fields: ResponsesEnvelopeFields): ResponsesResponse {
  const { echo } = options;
  return {
    id: options.id,
    object: 'response',
    created_at: options.createdAt,
    status: fields.status,
    background: false,
    error: fields.error,
    incomplete_details: fields.incompleteDetails,
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    max_tool_calls: echo.max_tool_calls,
    model: fields.model,
    output: fields.output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: echo.previous_response_id,
    prompt_cache_key: null,
    reasoning: echo.reasoning,
    safety_identifier: null,
    service_tier: fields.serviceTier,
    store: echo.store,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_logprobs: echo.top_logprobs,
    top_p: echo.top_p,
    truncation: echo.truncation,
    usage: fields.usage,
    user: echo.user,
    metadata: echo.metadata,
  };
}

/**
 * Encodes a canonical result as a Responses API `Response` (choice 0: the Responses API has no `n`).
 * Item ids come from `options.mintId`, one per item in output order, so a stream encoder given the
 * same minter names its items identically.
 * @see https://platform.openai.com/docs/api-reference/responses/object
 */
export function encodeResponsesResponse(result: ChatResult, options: ResponsesEncodeOptions): ResponsesResponse {
  const choice = result.choices.find((candidate) => candidate.index === 0);
  const outcome = responsesOutcome(choice?.finishReason ?? 'other');
  return responsesEnvelope(options, {
    status: outcome.status,
    error: null,
    incompleteDetails: outcome.incompleteDetails,
    model: result.model,
    output: encodeResponsesOutput(choice?.content ?? [], outcome, options.mintId),
    serviceTier: result.serviceTier ?? 'default',
    usage: encodeResponsesUsage(result.usage),
  });
}
