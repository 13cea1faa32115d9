import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChatResultBuilder } from '@gantry/formats';
import type { ProviderStream } from '@gantry/providers';
import { peekStream, type Attempt, type Route, type RouteCallOptions, type Target } from '@gantry/router';
import { buildCallRows, newSpanId, readRunContext, type ActiveRun, type CallRecord, type CalledTool, type RunContext } from '@gantry/runs';
import { ClientClosedError, toGatewayError, type ChatRequest, type ChatResult, type GatewayError, type StreamEvent } from '@gantry/spec';
import { estimateUsage, type Reservation } from '@gantry/policy';
import type { GatewayServices } from '../gateway-services.ts';
import { callCost } from './call-cost.ts';
import { abortOnClientClose } from './client-abort.ts';
import type { ClientWire } from './client-wire.ts';
import { reserveChatCall, settleCall } from './reserve-call.ts';
import { SSE_HEADERS, writeSse } from './write-sse.ts';

/** Everything about one chat call that its span needs, filled in as the call proceeds. */
interface ChatCall {
  services: GatewayServices;
  request: ChatRequest;
  wire: ClientWire;
  caller: ReturnType<typeof callerOf>;
  run: ActiveRun;
  spanName: string;
  spanId: string;
  startedAt: number;
  attempts: Attempt[];
  signal: AbortSignal;
  /** The caller's W3C trace context, for trace export. */
  traceParent: RunContext['traceParent'];
  /** The call's hold on the budget ledger, settled or released when it is recorded. */
  reservation: Reservation;
}

function failureOf(error: unknown, signal: AbortSignal): GatewayError {
  return signal.aborted ? new ClientClosedError({ cause: error }) : toGatewayError(error);
}

interface Outcome {
  target?: Target;
  result?: ChatResult;
  error?: GatewayError;
  firstTokenAt?: number;
  raw?: unknown;
  /** When the call ended, if it is recorded later than that. */
  endedAt?: number;
}

function record(call: ChatCall, outcome: Outcome): void {
  const { services } = call;
  const endedAt = outcome.endedAt ?? Date.now();
  // An answer without the provider's usage (a cut stream, a server ignoring include_usage) is
  // settled at what Gantry counts of it, not released: the provider bills what it generated.
  const result = outcome.result;
  const estimated = result !== undefined && result.usage === undefined;
  const usage = result === undefined ? undefined : (result.usage ?? estimateUsage(call.request, result));
  // The winning attempt lasts until the call is over (for streams, until the last byte).
  const last = call.attempts.at(-1);
  if (last !== undefined && last.error === undefined) last.endedAt = endedAt;
  const toolCalls: CalledTool[] = [];
  for (const choice of outcome.result?.choices ?? []) {
    for (const part of choice.content) if (part.type === 'tool-call') toolCalls.push({ id: part.id, name: part.name, arguments: part.arguments });
  }
  const callRecord: CallRecord = {
    spanId: call.spanId,
    runId: call.run.id,
    apiKeyId: call.caller.apiKeyId,
    name: call.spanName,
    toolCalls,
    requestedModel: call.request.model,
    request: call.request,
    costMicros: callCost(services.prices, outcome.target, usage),
    startedAt: call.startedAt,
    endedAt,
    attempts: call.attempts.map((attempt) => ({
      provider: attempt.target.provider.name,
      model: attempt.target.model,
      startedAt: attempt.startedAt,
      endedAt: attempt.endedAt,
      ...(attempt.error === undefined ? {} : { error: attempt.error }),
    })),
    stream: call.request.stream,
  };
  if (outcome.target !== undefined) callRecord.provider = outcome.target.provider.name;
  if (outcome.result !== undefined) {
    callRecord.result = outcome.result;
    callRecord.upstreamModel = outcome.result.model;
  }
  if (usage !== undefined) callRecord.usage = usage;
  if (estimated) callRecord.usageEstimated = true;
  if (outcome.error !== undefined) callRecord.error = outcome.error;
  if (outcome.firstTokenAt !== undefined) callRecord.firstTokenAt = outcome.firstTokenAt;
  if (outcome.raw !== undefined && services.config.recording.storeRaw) callRecord.raw = outcome.raw;
  if (call.run.implicit) callRecord.implicitRun = { apiKeyId: call.caller.apiKeyId, teamId: call.caller.teamId };
  // What trace export needs to place the span: the caller's trace, and the run tree it is part of.
  const trace = call.traceParent === undefined ? {} : { trace_id: call.traceParent.traceId, trace_parent_span_id: call.traceParent.spanId };
  const root = call.run.rootRunId === call.run.id ? {} : { root_run_id: call.run.rootRunId };
  callRecord.attributes = { ...trace, ...root };
  settleCall(call.reservation, callRecord.costMicros, usage);
  services.recorder.record(buildCallRows(callRecord));
  if (!call.run.implicit) services.runs.noteToolCallsOpened(call.run.id, toolCalls.map((tool) => tool.id));
}

/** `record`, off the response's path; a failure there is logged, never thrown into the event loop. */
function recordLater(call: ChatCall, outcome: Outcome, reply: FastifyReply): void {
  try {
    record(call, outcome);
  } catch (error) {
    reply.log.error({ err: error, spanId: call.spanId }, 'recording a chat call failed');
  }
}

/** The caller as runs see it. */
export function callerOf(request: FastifyRequest) {
  const principal = request.principal;
  return principal.kind === 'key'
    ? { apiKeyId: principal.keyId, teamId: principal.teamId, master: false }
    : { apiKeyId: null, teamId: null, master: true };
}

function isContent(event: StreamEvent): boolean {
  return event.type === 'text-delta' || event.type === 'tool-call-start' || event.type === 'reasoning-delta' || event.type === 'refusal-delta';
}

/** How the router should treat this call: its run (retry budget, stickiness), stream or not. */
function routeOptions<T>(call: ChatCall, isRefusal?: (value: T) => boolean): RouteCallOptions<T> {
  const run = call.run;
  return {
    signal: call.signal,
    attempts: call.attempts,
    stream: call.request.stream,
    ...(run.implicit ? {} : { rootRunId: run.rootRunId, pins: call.services.runs.pinsOf(run.rootRunId) }),
    ...(isRefusal === undefined ? {} : { isRefusal }),
  };
}

/** Every choice stopped on the provider's content filter: a refusal another target may not give. */
function isRefusal(value: { result: ChatResult }): boolean {
  return value.result.choices.length > 0 && value.result.choices.every((choice) => choice.finishReason === 'content-filter');
}

async function completeChat(call: ChatCall, route: Route, reply: FastifyReply): Promise<unknown> {
  let target: Target | undefined;
  try {
    const outcome = await call.services.router.call(route, routeOptions(call, isRefusal), (next, signal) => next.provider.chat(call.request, { model: next.model, signal }));
    target = outcome.target;
    // Recorded once the answer is on its way: building the span's rows is not the client's wait.
    setImmediate(recordLater, call, { target, result: outcome.value.result, raw: outcome.value.raw, endedAt: Date.now() }, reply);
    reply.header('x-gantry-target', target.id).header('x-gantry-attempts', String(call.attempts.length));
    return call.wire.encodeResult(outcome.value.result, call.request);
  } catch (error) {
    const failure = failureOf(error, call.signal);
    record(call, { ...(target === undefined ? {} : { target }), error: failure });
    reply.header('x-gantry-attempts', String(call.attempts.length));
    throw failure;
  }
}

/**
 * Streams a chat completion. A try counts as accepted once its first event arrived (peeked before
 * anything is sent): failures before that become ordinary JSON errors and may fall back to the
 * next target; once bytes have reached the client, a failure ends the stream with the wire's
 * in-stream error, which the official SDKs raise — never a silent switch of model mid-answer.
 */
async function streamChat(call: ChatCall, route: Route, reply: FastifyReply): Promise<void> {
  let opened: { value: ProviderStream; target: Target };
  try {
    opened = await call.services.router.call(route, routeOptions(call), async (next, signal) => peekStream(await next.provider.chatStream(call.request, { model: next.model, signal })));
  } catch (error) {
    const failure = failureOf(error, call.signal);
    record(call, { error: failure });
    reply.header('x-gantry-attempts', String(call.attempts.length));
    throw failure;
  }
  const { value: stream, target } = opened;
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, { ...SSE_HEADERS, ...(reply.getHeaders() as Record<string, string>), 'x-gantry-target': target.id, 'x-gantry-attempts': String(call.attempts.length) });
  const encoder = call.wire.createStreamEncoder(call.request);
  const builder = new ChatResultBuilder();
  let firstTokenAt: number | undefined;
  let failure: GatewayError | undefined;
  try {
    for await (const event of stream) {
      builder.push(event);
      const first = firstTokenAt === undefined && isContent(event);
      if (first) firstTokenAt = Date.now();
      // The first token leaves now, with the headers, not after the rest of its upstream packet.
      const drained = writeSse(response, encoder.encode(event), call.signal, first);
      if (drained !== undefined) await drained;
    }
    await writeSse(response, encoder.end(), call.signal);
  } catch (error) {
    failure = failureOf(error, call.signal);
    if (!call.signal.aborted && !response.destroyed) response.write(encoder.error(failure));
  } finally {
    response.end();
    record(call, {
      target,
      result: builder.result(),
      raw: stream.raw,
      ...(failure === undefined ? {} : { error: failure }),
      ...(firstTokenAt === undefined ? {} : { firstTokenAt }),
    });
  }
}

/**
 * One chat call, whatever wire the client speaks: resolve the model, call (with fallback across
 * an alias's targets), answer in the client's format, and record the call as a span.
 */
export async function runChat(services: GatewayServices, chat: ChatRequest, wire: ClientWire, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const startedAt = Date.now();
  const context = readRunContext(request.headers);
  const route = services.router.route(chat.model);
  const caller = callerOf(request);
  const run = await services.runs.resolve(context, caller);
  if (!run.implicit) services.runs.closeAnsweredToolCalls(run.id, chat.messages);
  const spanId = newSpanId();
  const reservation = await reserveChatCall(services, request, chat, { caller, run, runName: context.runName, targets: route.targets, spanId });
  const call: ChatCall = {
    services,
    request: chat,
    wire,
    caller,
    run,
    spanName: context.spanName ?? 'chat',
    spanId,
    startedAt,
    attempts: [],
    signal: abortOnClientClose(reply).signal,
    traceParent: context.traceParent,
    reservation,
  };
  reply.header('x-gantry-run-id', run.id).header('x-gantry-span-id', call.spanId);
  if (chat.stream) return streamChat(call, route, reply);
  return completeChat(call, route, reply);
}
