/**
 * What Gantry reads from an upstream that speaks the Responses API (`POST /v1/responses`): zod
 * schemas for the Response object, its output items and its stream events, and the mappings both
 * decoders share (usage, finish reason, failures). Schemas are loose: they check the fields Gantry
 * reads and keep the rest, so fields OpenAI adds later pass through.
 * @see https://platform.openai.com/docs/api-reference/responses/object
 */
import { z } from 'zod';
import { ProviderHttpError, ProviderUnreachableError, type FinishReason, type Usage } from '@gantry/spec';

/** @see https://platform.openai.com/docs/api-reference/responses/object#responses/object-usage */
const usageSchema = z.looseObject({
  input_tokens: z.number(),
  input_tokens_details: z.looseObject({ cached_tokens: z.number().nullish(), cache_write_tokens: z.number().nullish() }).nullish(),
  output_tokens: z.number(),
  output_tokens_details: z.looseObject({ reasoning_tokens: z.number().nullish() }).nullish(),
});

export type ResponsesUsage = z.infer<typeof usageSchema>;

const textOf = z.looseObject({ text: z.string() });

/** A `message` output item: `output_text` and `refusal` parts. */
export const messageItemSchema = z.looseObject({
  type: z.literal('message'),
  content: z.array(z.looseObject({ type: z.string(), text: z.string().optional(), refusal: z.string().optional() })),
});

/** A `function_call` output item. Tool results are matched by `call_id` (`call_…`), never by `id` (`fc_…`). */
export const functionCallItemSchema = z.looseObject({
  type: z.literal('function_call'),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
});

/** A `reasoning` output item: readable summary (and, from some servers, reasoning text) plus the opaque `encrypted_content`. */
export const reasoningItemSchema = z.looseObject({
  type: z.literal('reasoning'),
  summary: z.array(textOf).nullish(),
  content: z.array(textOf).nullish(),
  encrypted_content: z.string().nullish(),
});

/** Any output item; the decoders narrow it with the schemas above and skip types they cannot represent. */
export const outputItemSchema = z.looseObject({ type: z.string() });

const failureSchema = z.looseObject({ code: z.string().nullish(), message: z.string().nullish() });

/** The Response object, as returned whole, and inside `response.*` stream events. */
export const responseSchema = z.looseObject({
  id: z.string(),
  created_at: z.number().nullish(),
  model: z.string().nullish(),
  status: z.string().nullish(),
  output: z.array(outputItemSchema).nullish(),
  // null until the response completes, and in `response.failed`
  usage: usageSchema.nullish(),
  incomplete_details: z.looseObject({ reason: z.string().nullish() }).nullish(),
  error: failureSchema.nullish(),
  service_tier: z.string().nullish(),
});

export type ResponsesWireResponse = z.infer<typeof responseSchema>;

/**
 * The `error` stream event. The recordings nest the details in `error: {type, code, message,
 * param}`; the spec's ResponseErrorEvent has `code`, `message`, `param` flat. Both are read.
 */
export const errorEventSchema = z.looseObject({
  code: z.string().nullish(),
  message: z.string().nullish(),
  error: z.looseObject({ type: z.string().nullish(), code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

/** Canonical usage. `input_tokens` already includes cached tokens, `output_tokens` reasoning tokens, as canonically. */
export function decodeResponsesUsage(usage: ResponsesUsage): Usage {
  const result: Usage = { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens };
  const cached = usage.input_tokens_details?.cached_tokens;
  if (cached != null) result.cachedInputTokens = cached;
  const cacheWrite = usage.input_tokens_details?.cache_write_tokens;
  if (cacheWrite != null) result.cacheWriteInputTokens = cacheWrite;
  const reasoning = usage.output_tokens_details?.reasoning_tokens;
  if (reasoning != null) result.reasoningTokens = reasoning;
  return result;
}

/**
 * A Response has no finish reason: its `status` and `incomplete_details.reason` stand for one, and
 * a completed response that called functions is chat's `tool_calls`. The raw word kept is the
 * incomplete reason or the status, never `function_call` (the OpenAI chat encoder would echo that
 * as the legacy finish reason).
 * @see https://platform.openai.com/docs/api-reference/responses/object#responses/object-incomplete_details
 */
export function mapResponsesFinish(response: Pick<ResponsesWireResponse, 'status' | 'incomplete_details'>, calledFunctions: boolean): { finishReason: FinishReason; rawFinishReason: string } {
  if (response.status === 'incomplete') {
    const reason = response.incomplete_details?.reason ?? 'incomplete';
    if (reason === 'max_output_tokens') return { finishReason: 'length', rawFinishReason: reason };
    if (reason === 'content_filter') return { finishReason: 'content-filter', rawFinishReason: reason };
    return { finishReason: 'other', rawFinishReason: reason };
  }
  const status = response.status ?? 'completed';
  if (status !== 'completed') return { finishReason: 'other', rawFinishReason: status };
  return { finishReason: calledFunctions ? 'tool-calls' : 'stop', rawFinishReason: status };
}

const CLIENT_FAULT_CODES = /^(invalid_|image_|unsupported_|empty_image|failed_to_download_image)/;

/**
 * The HTTP status a plain `POST` would have answered for a failure reported inside a 200 (an
 * `error` event, `response.failed`): quota and rate codes are OpenAI's 429s, codes about the
 * input its 400s, the rest (`server_error`, `vector_store_timeout`, unknown) a 500.
 * @see https://platform.openai.com/docs/guides/error-codes/api-errors
 */
export function statusOfResponsesFailure(code: string | null | undefined): number {
  if (code === 'insufficient_quota' || code === 'rate_limit_exceeded') return 429;
  if (code != null && CLIENT_FAULT_CODES.test(code)) return 400;
  return 500;
}

/** The ProviderHttpError for a failure the upstream reported in a 200 body or stream; `body` is kept for the span. */
export function responsesFailureError(provider: string, code: string | null | undefined, message: string | null | undefined, body: unknown): ProviderHttpError {
  const status = statusOfResponsesFailure(code);
  const detail = message ?? code ?? 'no details';
  return new ProviderHttpError(provider, status, `provider ${provider} failed the response${code == null ? '' : ` (${code})`}: ${detail}`, body);
}

/** Parses `value` with `schema`, or throws the ProviderUnreachableError for a body that is not the Responses wire. */
export function parseUpstream<T>(schema: z.ZodType<T>, value: unknown, provider: string, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
  throw new ProviderUnreachableError(provider, `provider ${provider} returned a malformed ${what}${at}: ${issue?.message ?? 'unknown shape'}`);
}

/** The readable text of a reasoning item: its summary parts, or its reasoning text when it has no summary. */
export function reasoningTextOf(item: z.infer<typeof reasoningItemSchema>): string {
  const texts = (sources: { text: string }[] | null | undefined): string[] => (sources ?? []).map((part) => part.text).filter((text) => text !== '');
  const summary = texts(item.summary);
  const parts = summary.length > 0 ? summary : texts(item.content);
  // Summary parts are separate paragraphs; the stream decoder joins them the same way.
  return parts.join(REASONING_PART_SEPARATOR);
}

/** Between two summary parts of one reasoning item, in both decoders. */
export const REASONING_PART_SEPARATOR = '\n\n';
