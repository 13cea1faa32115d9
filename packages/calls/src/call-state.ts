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

/** The fields of a call's record that every kind of call fills the same way. */
export function baseRecord(call: CallState, endedAt: number, error: GatewayError | undefined): Omit<CallRecord, 'request' | 'costMicros' | 'stream'> {
  // The winning attempt lasts until the call is over (for streams, until the last byte).
  const last = call.attempts.at(-1);
  if (last !== undefined && last.error === undefined) last.endedAt = endedAt;
  const record: Omit<CallRecord, 'request' | 'costMicros' | 'stream'> = {
    spanId: call.spanId,
    runId: call.run.id,
    apiKeyId: call.caller.apiKeyId,
    name: call.spanName,
    requestedModel: call.requestedModel,
    startedAt: call.startedAt,
    endedAt,
    attempts: attemptsOf(call.attempts, call.services.calls.storeRaw),
  };
  if (error !== undefined) record.error = error;
  if (call.run.implicit) record.implicitRun = { apiKeyId: call.caller.apiKeyId, teamId: call.caller.teamId };
  // What trace export needs to place the span: the caller's trace, and the run tree it is part of.
  const trace = call.traceParent === undefined ? {} : { trace_id: call.traceParent.traceId, trace_parent_span_id: call.traceParent.spanId };
  const root = call.run.rootRunId === call.run.id ? {} : { root_run_id: call.run.rootRunId };
  record.attributes = { ...call.attributes, ...trace, ...root };
  return record;
}
