import type { ProviderStream } from '@gantry/providers';
import type { Route, Target } from '@gantry/router';
import { ClientClosedError, toGatewayError, type CallMiddlewareContext, type ChatRequest, type ChatResult, type GatewayError, type Message, type StreamEvent } from '@gantry/spec';
import { ChatResultBuilder } from '@gantry/formats';
import { openCall, routeOptions, traceOfCall, type CallState } from './call-state.ts';
import { withTrace, type CallServices, type CallTrace, type ChatCallInput } from './call-services.ts';
import { middlewareContext, transformRequest, wrapComplete, wrapStream, type Answer } from './compose-middleware.ts';
import { isContentEvent, observeStream } from './observe-stream.ts';
import { recordChatCall, recordChatCallLater, type ChatOutcome } from './record-chat-call.ts';
import { reserveChatCall } from './reserve-call.ts';

/** A chat call's answer: whole, or as canonical events to pass on as they come. */
export type ChatCallOutcome =
  | { type: 'result'; result: ChatResult; trace: CallTrace }
  /** Iterate it to the end (or stop early): the call is settled and recorded when the stream ends. */
  | { type: 'stream'; events: AsyncIterable<StreamEvent>; trace: CallTrace };

export function failureOf(error: unknown, signal: AbortSignal): GatewayError {
  return signal.aborted ? new ClientClosedError({ cause: error }) : toGatewayError(error);
}

/** Every choice stopped on the provider's content filter: a refusal another target may not give. */
function isRefusal(value: { result: ChatResult }): boolean {
  return value.result.choices.length > 0 && value.result.choices.every((choice) => choice.finishReason === 'content-filter');
}

/** Records a call that failed before any answer reached its caller, and returns the error to throw. */
const WITHHELD = '[withheld: a middleware refused the request]';

/** The request with every text, tool argument and non-text input replaced by a note. */
function withheldTexts(request: ChatRequest): ChatRequest {
  const messages = request.messages.map((message): Message => {
    if (message.role === 'assistant') {
      return { ...message, content: message.content.map((part) => (part.type === 'tool-call' ? { ...part, arguments: '{}' } : part.type === 'reasoning' ? { type: 'reasoning', text: WITHHELD } : { ...part, text: WITHHELD })) };
    }
    return { ...message, content: [{ type: 'text', text: WITHHELD }] };
  });
  return { ...request, messages };
}

function failed(call: CallState, request: ChatRequest, error: unknown, outcome: ChatOutcome = {}): GatewayError {
  const failure = failureOf(error, call.signal);
  recordChatCall(call, request, { ...outcome, error: failure });
  return withTrace(failure, traceOfCall(call));
}

async function completeChat(call: CallState, route: Route, request: ChatRequest, context: CallMiddlewareContext | undefined): Promise<ChatCallOutcome> {
  const { router, middleware } = call.services;
  let target: Target | undefined;
  let raw: unknown;
  const answer: Answer<ChatResult> = {};
  const core = async () => {
    const outcome = await router.call(route, routeOptions(call, isRefusal), (next, signal) => next.provider.chat(request, { model: next.model, signal }));
    target = outcome.target;
    raw = outcome.value.raw;
    answer.value = outcome.value.result;
    return outcome.value.result;
  };
  let result: ChatResult;
  try {
    result = context === undefined ? await core() : await wrapComplete(middleware, request, context, core, answer);
  } catch (error) {
    throw failed(call, request, error, { ...(target === undefined ? {} : { target }), ...(answer.value === undefined ? {} : { result: answer.value }), raw });
  }
  const outcome: ChatOutcome = { result: answer.value ?? result, raw, endedAt: Date.now() };
  if (target !== undefined) outcome.target = target;
  if (answer.answeredBy !== undefined) outcome.answeredBy = answer.answeredBy;
  // Recorded once the answer is on its way: building the span's rows is not the caller's wait.
  setImmediate(recordChatCallLater, call, request, outcome);
  return { type: 'result', result, trace: traceOfCall(call, target?.id, answer.answeredBy) };
}

/**
 * Streams a chat call. A try counts as accepted once its first event arrived (the router peeks):
 * failures before that are thrown here and may fall back to the next target; once events flow, a
 * failure is thrown by the stream — never a silent switch of model mid-answer.
 */
async function streamChat(call: CallState, route: Route, request: ChatRequest, context: CallMiddlewareContext | undefined): Promise<ChatCallOutcome> {
  const { router, middleware } = call.services;
  const builder = new ChatResultBuilder();
  let firstTokenAt: number | undefined;
  const fold = (event: StreamEvent) => {
    builder.push(event);
    if (firstTokenAt === undefined && isContentEvent(event)) firstTokenAt = Date.now();
  };
  let target: Target | undefined;
  let upstream: ProviderStream | undefined;
  const answer: Answer<AsyncIterable<StreamEvent>> = {};
  const end = (error: unknown, stopped: boolean): unknown => {
    const failure = error !== undefined || stopped ? (error === undefined ? new ClientClosedError() : failureOf(error, call.signal)) : undefined;
    const outcome: ChatOutcome = { result: builder.result() };
    if (target !== undefined) outcome.target = target;
    if (upstream !== undefined) outcome.raw = upstream.raw;
    if (answer.answeredBy !== undefined) outcome.answeredBy = answer.answeredBy;
    if (failure !== undefined) outcome.error = failure;
    if (firstTokenAt !== undefined) outcome.firstTokenAt = firstTokenAt;
    outcome.endedAt = Date.now();
    // Recorded after the caller wrote the stream's end: building the rows is not the client's wait.
    setImmediate(recordChatCallLater, call, request, outcome);
    return failure;
  };

  let events: AsyncIterable<StreamEvent>;
  try {
    if (context === undefined) {
      const opened = await router.callStream(route, routeOptions(call), (next, signal) => next.provider.chatStream(request, { model: next.model, signal }));
      target = opened.target;
      upstream = opened.value;
      // No middleware: one observer folds the events and records the end.
      events = observeStream(opened.value, { event: fold, end });
    } else {
      const core = async () => {
        const opened = await router.callStream(route, routeOptions(call), (next, signal) => next.provider.chatStream(request, { model: next.model, signal }));
        target = opened.target;
        upstream = opened.value;
        answer.value = observeStream(opened.value, { event: fold });
        return answer.value;
      };
      const wrapped = await wrapStream(middleware, request, context, core, answer, (stream) => observeStream(stream, { event: fold }));
      events = observeStream(wrapped, { end });
    }
  } catch (error) {
    throw failed(call, request, error, target === undefined ? {} : { target });
  }
  return { type: 'stream', events, trace: traceOfCall(call, (target as Target | undefined)?.id, answer.answeredBy) };
}

/**
 * One chat call, whatever wire its caller speaks, in the stages every call takes in this order:
 * run context → budget reserve → middleware, request side → route and call (fallback across an
 * alias's targets; streams are peeked) → middleware, result side → tee to the recorder → settle
 * and record. Knows no HTTP: `signal` is the caller going away.
 */
export async function callChat(services: CallServices, input: ChatCallInput, signal: AbortSignal): Promise<ChatCallOutcome> {
  const chat = input.request;
  // Run context; budget reserve.
  const { call, route } = await openCall(services, input, signal, {
    spanName: 'chat',
    reserve: (subject) => reserveChatCall(services, chat, subject),
  });
  // Middleware, request side.
  let request = chat;
  let context: CallMiddlewareContext | undefined;
  if (services.middleware.length > 0) {
    context = middlewareContext(call, route, input.headers);
    try {
      request = await transformRequest(services.middleware, chat, context);
    } catch (error) {
      // A refused request is recorded without its texts: what a guardrail refused must not be stored.
      throw failed(call, withheldTexts(chat), error);
    }
  }
  // Tool results close their tool spans as the provider sees them (redacted, when a middleware redacts).
  if (!call.run.implicit) services.runs.closeAnsweredToolCalls(call.run.id, request.messages);
  // Route and call; middleware, result side; tee; settle and record.
  return request.stream ? streamChat(call, route, request, context) : completeChat(call, route, request, context);
}
