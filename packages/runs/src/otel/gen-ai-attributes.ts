import type { Attributes } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import {
  ATTR_GEN_AI_AGENT_ID,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
} from '@opentelemetry/semantic-conventions/incubating';
import type { NewSpan } from '@gantry/db';

/**
 * `gen_ai.provider.name` per Gantry provider type: the GenAI conventions' well-known values.
 * An `openai-compatible` provider (vLLM, Groq, Ollama…) reports its config name instead.
 */
const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  openai: 'openai',
  'azure-openai': 'azure.ai.openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
};

/** Maps a provider's config name to its `gen_ai.provider.name`. */
export function providerNameOf(provider: string, providerTypes: ReadonlyMap<string, string>): string {
  const type = providerTypes.get(provider);
  return (type === undefined ? undefined : PROVIDER_NAMES[type]) ?? provider;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function put(attributes: Attributes, key: string, value: string | number | boolean | string[] | null | undefined): void {
  if (value !== undefined && value !== null) attributes[key] = value;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `chat` for chat calls, `embeddings` for embedding calls (told apart by the canonical request). */
export function operationOf(span: NewSpan): 'chat' | 'embeddings' {
  const request = asRecord(span.request);
  return request !== undefined && !('messages' in request) && 'input' in request ? 'embeddings' : 'chat';
}

/** The provider's own finish reasons (the canonical ones when the provider's word is unknown). */
function finishReasonsOf(result: Record<string, unknown> | undefined): string[] | undefined {
  if (!Array.isArray(result?.choices)) return undefined;
  const reasons: string[] = [];
  for (const choice of result.choices) {
    const record = asRecord(choice);
    const reason = record?.rawFinishReason ?? record?.finishReason;
    if (typeof reason === 'string') reasons.push(reason);
  }
  return reasons.length > 0 ? reasons : undefined;
}

/** Attributes every exported span of a run carries: Gantry's own ids, to find the rows again. */
export function gantryAttributes(span: Pick<NewSpan, 'id' | 'runId'>, rootRunId: string | undefined): Attributes {
  const attributes: Attributes = { 'gantry.span.id': span.id, 'gantry.run.id': span.runId };
  if (rootRunId !== undefined) {
    attributes['gantry.root_run.id'] = rootRunId;
    attributes[ATTR_GEN_AI_CONVERSATION_ID] = rootRunId;
  }
  return attributes;
}

/** The GenAI attributes of an `llm` span: `chat {model}` / `embeddings {model}`. */
export function llmAttributes(span: NewSpan, providerName: string | undefined): Attributes {
  const attributes: Attributes = {};
  const request = asRecord(span.request);
  const result = asRecord(span.result);
  const spanAttributes = asRecord(span.attributes);
  put(attributes, ATTR_GEN_AI_OPERATION_NAME, operationOf(span));
  put(attributes, ATTR_GEN_AI_REQUEST_MODEL, span.model);
  put(attributes, ATTR_GEN_AI_RESPONSE_MODEL, span.upstreamModel);
  put(attributes, ATTR_GEN_AI_PROVIDER_NAME, providerName);
  // Deprecated in favour of gen_ai.provider.name, still what many backends read.
  put(attributes, ATTR_GEN_AI_SYSTEM, providerName);
  put(attributes, 'gantry.provider', span.provider);
  put(attributes, ATTR_GEN_AI_REQUEST_MAX_TOKENS, num(request?.maxOutputTokens));
  put(attributes, ATTR_GEN_AI_REQUEST_TEMPERATURE, num(request?.temperature));
  put(attributes, ATTR_GEN_AI_REQUEST_TOP_P, num(request?.topP));
  put(attributes, ATTR_GEN_AI_REQUEST_STREAM, typeof spanAttributes?.stream === 'boolean' ? spanAttributes.stream : undefined);
  put(attributes, ATTR_GEN_AI_RESPONSE_ID, typeof result?.id === 'string' ? result.id : undefined);
  put(attributes, ATTR_GEN_AI_RESPONSE_FINISH_REASONS, finishReasonsOf(result));
  // Counts only when the provider reported usage: a failed call has none, and 0 would be a claim.
  if (spanAttributes?.usage_reported !== false) {
    put(attributes, ATTR_GEN_AI_USAGE_INPUT_TOKENS, span.inputTokens ?? 0);
    put(attributes, ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, span.outputTokens ?? 0);
  }
  if ((span.cachedInputTokens ?? 0) > 0) put(attributes, ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, span.cachedInputTokens);
  if ((span.reasoningTokens ?? 0) > 0) put(attributes, ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, span.reasoningTokens);
  if (span.firstTokenAt instanceof Date) {
    // Seconds, as the convention wants.
    put(attributes, ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (span.firstTokenAt.getTime() - span.startedAt.getTime()) / 1000);
  }
  if (spanAttributes?.priced !== false) put(attributes, 'gantry.cost_usd', (span.costMicros ?? 0) / 1_000_000);
  put(attributes, ATTR_HTTP_RESPONSE_STATUS_CODE, span.httpStatus);
  put(attributes, ATTR_ERROR_TYPE, span.error?.code);
  return attributes;
}

/** One upstream try: a client call to the provider, child of its `chat` span. */
export function attemptAttributes(span: NewSpan, providerName: string | undefined): Attributes {
  const attributes: Attributes = {};
  put(attributes, ATTR_GEN_AI_OPERATION_NAME, 'chat');
  put(attributes, ATTR_GEN_AI_REQUEST_MODEL, span.model);
  put(attributes, ATTR_GEN_AI_PROVIDER_NAME, providerName);
  put(attributes, ATTR_GEN_AI_SYSTEM, providerName);
  put(attributes, 'gantry.provider', span.provider);
  put(attributes, ATTR_HTTP_RESPONSE_STATUS_CODE, span.httpStatus);
  put(attributes, ATTR_ERROR_TYPE, span.error?.code);
  return attributes;
}

/** A tool call, from the response that asked for it to the request that carried its result. */
export function toolAttributes(span: NewSpan): Attributes {
  const attributes: Attributes = {};
  put(attributes, ATTR_GEN_AI_OPERATION_NAME, 'execute_tool');
  put(attributes, ATTR_GEN_AI_TOOL_NAME, span.name);
  put(attributes, ATTR_GEN_AI_TOOL_CALL_ID, span.toolCallId);
  put(attributes, ATTR_GEN_AI_TOOL_TYPE, 'function');
  return attributes;
}

/** A run: `invoke_agent {name}`, over when the run ended. */
export function runAttributes(run: { id: string; name: string | null; status: string }): Attributes {
  const attributes: Attributes = {};
  put(attributes, ATTR_GEN_AI_OPERATION_NAME, 'invoke_agent');
  put(attributes, ATTR_GEN_AI_AGENT_ID, run.id);
  put(attributes, ATTR_GEN_AI_AGENT_NAME, run.name);
  put(attributes, 'gantry.run.status', run.status);
  if (run.status === 'failed') put(attributes, ATTR_ERROR_TYPE, 'run_failed');
  return attributes;
}
