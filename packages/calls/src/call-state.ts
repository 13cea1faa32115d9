import type { Reservation } from '@gantry/policy';
import type { Attempt } from '@gantry/router';
import type { ActiveRun, CallAttempt, CallRecord, RunCaller, RunContext } from '@gantry/runs';
import type { GatewayError, ProviderExchange } from '@gantry/spec';
import type { CallServices, CallTrace } from './call-services.ts';

/** Everything about one call that its span needs, filled in as the call proceeds. */
export interface CallState {
  services: CallServices;
  caller: RunCaller;
  run: ActiveRun;
  /** What the client addressed (alias or provider/model). */
  requestedModel: string;
  spanName: string;
  spanId: string;
  /** Unix milliseconds. */
  startedAt: number;
  /** Every upstream try, filled by the router. */
  attempts: Attempt[];
  signal: AbortSignal;
  /** The caller's W3C trace context, for trace export. */
  traceParent: RunContext['traceParent'];
  /** The call's hold on the budget ledger, settled or released when it is recorded. */
  reservation: Reservation;
  /** Set by middleware through `context.setAttribute`; recorded on the `llm` span. */
  attributes: Record<string, unknown> | undefined;
}

/** The client-facing facts of a call so far. */
export function traceOfCall(call: CallState, target?: string, answeredBy?: string): CallTrace {
  const trace: CallTrace = { runId: call.run.id, spanId: call.spanId, attempts: call.attempts.length };
  if (target !== undefined) trace.target = target;
  if (answeredBy !== undefined) trace.answeredBy = answeredBy;
  return trace;
}

/** How much of each body a failed attempt keeps, in characters of its JSON text. */
export const MAX_ATTEMPT_BODY_CHARS = 16_384;

/** A body as stored: itself when small, else the start of its JSON text. */
function boundedBody(body: unknown): { body: unknown; truncated: boolean } {
  if (body === undefined) return { body, truncated: false };
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (text === undefined || text.length <= MAX_ATTEMPT_BODY_CHARS) return { body, truncated: false };
  return { body: text.slice(0, MAX_ATTEMPT_BODY_CHARS), truncated: true };
}

/** A failed try's exchange, each body cut to `MAX_ATTEMPT_BODY_CHARS` (`truncated` says so). */
export function boundedExchange(exchange: ProviderExchange): ProviderExchange {
  const request = boundedBody(exchange.requestBody);
  const response = boundedBody(exchange.responseBody);
  const bounded: ProviderExchange = { url: exchange.url, requestBody: request.body };
  if (exchange.status !== undefined) bounded.status = exchange.status;
  if (response.body !== undefined) bounded.responseBody = response.body;
  if (request.truncated || response.truncated) bounded.truncated = true;
  return bounded;
}

function attemptsOf(attempts: readonly Attempt[], storeRaw: boolean): CallAttempt[] {
  return attempts.map((attempt) => {
    const each: CallAttempt = { provider: attempt.target.provider.name, model: attempt.target.model, startedAt: attempt.startedAt, endedAt: attempt.endedAt };
    if (attempt.error !== undefined) {
      each.error = attempt.error;
      if (storeRaw && attempt.error.exchange !== undefined) each.raw = boundedExchange(attempt.error.exchange);
    }
    return each;
  });
}

/**
 * A call's record, with the fields every kind of call fills the same way. Built as one literal
 * with every field present (then filled in), not spread from parts: spreading objects of varying
 * shape leaves V8 with slow, dictionary-mode records, which buildCallRows then reads field by field.
 */
export function callRecordOf(call: CallState, fields: { endedAt: number; error: GatewayError | undefined; request: unknown; costMicros: number | undefined; stream: boolean }): CallRecord {
  // The winning attempt lasts until the call is over (for streams, until the last byte).
  const last = call.attempts.at(-1);
  if (last !== undefined && last.error === undefined) last.endedAt = fields.endedAt;
  // What trace export needs to place the span: the caller's trace, and the run tree it is part of.
  const attributes: Record<string, unknown> = call.attributes === undefined ? {} : { ...call.attributes };
  if (call.traceParent !== undefined) {
    attributes.trace_id = call.traceParent.traceId;
    attributes.trace_parent_span_id = call.traceParent.spanId;
  }
  if (call.run.rootRunId !== call.run.id) attributes.root_run_id = call.run.rootRunId;
  return {
    spanId: call.spanId,
    runId: call.run.id,
    implicitRun: call.run.implicit ? { apiKeyId: call.caller.apiKeyId, teamId: call.caller.teamId } : undefined,
    apiKeyId: call.caller.apiKeyId,
    name: call.spanName,
    requestedModel: call.requestedModel,
    provider: undefined,
    upstreamModel: undefined,
    request: fields.request,
    result: undefined,
    usage: undefined,
    usageEstimated: undefined,
    costMicros: fields.costMicros,
    error: fields.error,
    startedAt: call.startedAt,
    endedAt: fields.endedAt,
    firstTokenAt: undefined,
    raw: undefined,
    attempts: attemptsOf(call.attempts, call.services.calls.storeRaw),
    stream: fields.stream,
    answeredBy: undefined,
    toolCalls: undefined,
    attributes,
  };
}
