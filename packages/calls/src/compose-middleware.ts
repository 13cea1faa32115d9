import type { CallMiddleware, CallMiddlewareContext, ChatRequest, ChatResult, StreamEvent, WrapCallOptions } from '@gantry/spec';
import type { Route } from '@gantry/router';
import type { CallHeaders } from './call-services.ts';
import type { CallState } from './call-state.ts';

/** What the recorder keeps of a call: the answer as whoever answered gave it. */
export interface Answer<T> {
  value?: T;
  /** The middleware that answered without reaching the router. */
  answeredBy?: string;
}

export function middlewareContext(call: CallState, route: Route, headers: CallHeaders): CallMiddlewareContext {
  return {
    runId: call.run.id,
    rootRunId: call.run.rootRunId,
    implicitRun: call.run.implicit,
    spanId: call.spanId,
    apiKeyId: call.caller.apiKeyId,
    teamId: call.caller.teamId,
    signal: call.signal,
    targets: route.targets.map((target) => target.id),
    headers,
    setAttribute(key, value) {
      (call.attributes ??= {})[key] = value;
    },
    setResponseHeader(name, value) {
      (call.responseHeaders ??= {})[name] = value;
    },
    setAnswerCharge({ chargeMicros, savedMicros }) {
      // The ledger holds whole micro-dollars, never negative.
      call.answerCharge = { chargeMicros: Math.max(0, Math.round(chargeMicros)), savedMicros: Math.max(0, Math.round(savedMicros)) };
    },
  };
}

/** The request side: every `transformRequest`, in list order. The route is fixed by then: `model` stays. */
export async function transformRequest(middleware: readonly CallMiddleware[], request: ChatRequest, context: CallMiddlewareContext): Promise<ChatRequest> {
  let current = request;
  for (const each of middleware) {
    if (each.transformRequest === undefined) continue;
    const next = await each.transformRequest({ request: current, context });
    current = next.model === request.model ? next : { ...next, model: request.model };
  }
  return current;
}

type Wrapper<T> = (middleware: CallMiddleware) => ((options: WrapCallOptions<T>) => Promise<T>) | undefined;

/**
 * The wrappers around `core`, the first in the list outermost. `answer` receives what the recorder
 * stores: `core` fills it when the router answered; a wrapper that returns without an answer from
 * inside (it never called `next`, or `next` failed and it answered anyway) is the one that answered.
 * `observe` wraps an answer given by a middleware (streams are teed there, where it was given).
 */
function wrap<T>(
  middleware: readonly CallMiddleware[],
  wrapperOf: Wrapper<T>,
  request: ChatRequest,
  context: CallMiddlewareContext,
  core: () => Promise<T>,
  answer: Answer<T>,
  observe: (value: T) => T,
): Promise<T> {
  const step = async (from: number): Promise<T> => {
    for (let index = from; index < middleware.length; index++) {
      const each = middleware[index]!;
      const wrapper = wrapperOf(each);
      if (wrapper === undefined) continue;
      const value = await wrapper.call(each, { request, context, next: () => step(index + 1) });
      if (answer.value !== undefined) return value;
      answer.answeredBy = each.name;
      answer.value = observe(value);
      return answer.value;
    }
    return core();
  };
  return step(0);
}

export function wrapComplete(middleware: readonly CallMiddleware[], request: ChatRequest, context: CallMiddlewareContext, core: () => Promise<ChatResult>, answer: Answer<ChatResult>): Promise<ChatResult> {
  return wrap(middleware, (each) => each.wrapComplete, request, context, core, answer, (value) => value);
}

export function wrapStream(
  middleware: readonly CallMiddleware[],
  request: ChatRequest,
  context: CallMiddlewareContext,
  core: () => Promise<AsyncIterable<StreamEvent>>,
  answer: Answer<AsyncIterable<StreamEvent>>,
  observe: (stream: AsyncIterable<StreamEvent>) => AsyncIterable<StreamEvent>,
): Promise<AsyncIterable<StreamEvent>> {
  return wrap(middleware, (each) => each.wrapStream, request, context, core, answer, observe);
}
