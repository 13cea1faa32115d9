import type { Target } from '@gantry/router';
import { buildCallRows } from '@gantry/runs';
import { storeEmbeddingRequest, type EmbeddingResult, type GatewayError, type StoredEmbeddingResult } from '@gantry/spec';
import { callCost } from './call-cost.ts';
import { failureOf } from './call-chat.ts';
import { withTrace, type CallServices, type CallTrace, type EmbeddingCallInput } from './call-services.ts';
import { callRecordOf, openCall, routeOptions, traceOfCall } from './call-state.ts';
import { reserveEmbeddingCall, settleCall } from './reserve-call.ts';

/** Vectors are large and reproducible: the span keeps the request and the usage, not the floats. */
function storedResult(result: EmbeddingResult): StoredEmbeddingResult {
  return { type: 'embeddings', version: 1, model: result.model, count: result.embeddings.length, usage: result.usage };
}

/**
 * One embeddings call, in the stages of a chat call (run context → budget reserve → route and call
 * → settle and record). Embeddings pass no middleware: the chat middleware contract has no
 * embeddings side yet.
 */
export async function callEmbeddings(services: CallServices, input: EmbeddingCallInput, signal: AbortSignal): Promise<{ result: EmbeddingResult; trace: CallTrace }> {
  const embedding = input.request;
  const { call, route } = await openCall(services, input, signal, { spanName: 'embeddings', reserve: (subject) => reserveEmbeddingCall(services, embedding, subject) });

  let target: Target | undefined;
  let result: EmbeddingResult | undefined;
  let raw: unknown;
  let failure: GatewayError | undefined;
  try {
    const outcome = await services.router.call(route, routeOptions(call), (next, attemptSignal) => next.provider.embed(embedding, { model: next.model, signal: attemptSignal }));
    target = outcome.target;
    result = outcome.value.result;
    raw = outcome.value.raw;
  } catch (error) {
    failure = failureOf(error, signal);
  }
  const usage = result === undefined ? undefined : { inputTokens: result.usage.inputTokens, outputTokens: 0 };
  const costMicros = callCost(services.prices, target, usage);
  const record = callRecordOf(call, { endedAt: Date.now(), error: failure, request: storeEmbeddingRequest(embedding), costMicros, stream: false });
  if (target !== undefined) record.provider = target.provider.name;
  if (result !== undefined) {
    record.result = storedResult(result);
    record.upstreamModel = result.model;
  }
  record.usage = usage;
  // The vectors again: the exchange keeps the request, not the response body.
  if (raw !== undefined && services.calls.storeRaw) record.raw = { ...(raw as object), responseBody: undefined };
  const rows = buildCallRows(record);
  settleCall(call.reservation, costMicros, usage);
  services.recorder.record(rows);
  if (failure !== undefined) throw withTrace(failure, traceOfCall(call));
  return { result: result!, trace: traceOfCall(call, target?.id) };
}
