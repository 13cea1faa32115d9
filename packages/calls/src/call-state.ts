import type { Reservation } from '@gantry/policy';
import { newId } from '@gantry/db';
import type { Attempt, Route, RouteCallOptions } from '@gantry/router';
import { readRunContext, type ActiveRun, type CallAttempt, type CallRecord, type RunCaller, type RunContext } from '@gantry/runs';
import type { AnswerCharge, GatewayError, ProviderExchange } from '@gantry/spec';
import type { CallInput, CallServices, CallTrace } from './call-services.ts';
import type { CallSubject } from './reserve-call.ts';

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
  /** Set by middleware through `context.setResponseHeader`; sent with the answer. */
  responseHeaders: Record<string, string> | undefined;
  /** Set by a middleware that answers the call itself, through `context.setAnswerCharge`: what the answer is charged. */
  answerCharge: AnswerCharge | undefined;
  onRecorded: CallInput<unknown>['onRecorded'];
  /** `CallInput.startsRun`. */
  startsRun: boolean;
}

/** The client-facing facts of a call so far. */
export function traceOfCall(call: CallState, target?: string, answeredBy?: string): CallTrace {
  const trace: CallTrace = { runId: call.run.id, spanId: call.spanId, attempts: call.attempts.length };
  if (target !== undefined) trace.target = target;
  if (answeredBy !== undefined) trace.answeredBy = answeredBy;
  if (call.responseHeaders !== undefined) trace.headers = call.responseHeaders;
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

/**
 * The first two stages of every call: its run context (run resolved from the headers), then its
 * budget reservation; returns the call's state, its route fixed.
 */
export async function openCall(
  services: CallServices,
  input: CallInput<{ model: string }>,
  signal: AbortSignal,
  options: { spanName: string; reserve: (subject: CallSubject) => Promise<Reservation> },
): Promise<{ call: CallState; route: Route }> {
  const startedAt = Date.now();
  const runContext = readRunContext(input.headers);
  const route = services.router.route(input.request.model);
  const run = await services.runs.resolve(runContext, input.caller);
  const spanId = newId();
  const reservation = await options.reserve({ caller: input.caller, headers: input.headers, run, runName: runContext.runName, targets: route.targets, spanId, startsRun: input.startsRun === true });
  const call: CallState = {
    services,
    caller: input.caller,
    run,
    requestedModel: input.request.model,
    spanName: runContext.spanName ?? options.spanName,
    spanId,
    startedAt,
    attempts: [],
    signal,
    traceParent: runContext.traceParent,
    reservation,
    attributes: input.attributes === undefined ? undefined : { ...input.attributes },
    responseHeaders: undefined,
    answerCharge: undefined,
    onRecorded: input.onRecorded,
    startsRun: input.startsRun === true,
  };
  return { call, route };
}

/** How the router should treat a call: its run (retry budget, stickiness). */
export function routeOptions<T>(call: CallState, isRefusal?: (value: T) => boolean): RouteCallOptions<T> {
  const run = call.run;
  return {
    signal: call.signal,
    attempts: call.attempts,
    ...(run.implicit ? {} : { rootRunId: run.rootRunId, pins: call.services.runs.pinsOf(run.rootRunId) }),
    ...(isRefusal === undefined ? {} : { isRefusal }),
  };
}
