import type { CallMiddleware, CallMiddlewareContext, ChatRequest, ChatResult, StreamEvent, WrapCallOptions } from '@gantry/spec';
import { rewriteRequest, scanRequest, type GuardrailPolicy, type InjectionReport, type PiiReport, type ScannedRequest } from './guard-request.ts';
import type { PseudonymStore, RunPseudonyms } from './pseudonyms/pseudonym-store.ts';
import { Restorer } from './pseudonyms/restore.ts';
import { restoreResult, restoreStream } from './pseudonyms/restore-answer.ts';
import { ScanMemo } from './scan-memo.ts';

export interface GuardrailMiddlewareOptions {
  /** The guardrails for this call (key, team and model settings merged), or undefined for none. */
  policyFor(context: CallMiddlewareContext, request: ChatRequest): GuardrailPolicy | undefined;
  store: PseudonymStore;
}

/** `x-gantry-guardrails`: what fired, as `detector=action:count` and `injection=action:score` (never a value). */
function headerOf(pii: PiiReport, injection: InjectionReport | undefined): string | undefined {
  const parts = Object.entries(pii).map(([detector, { count, action }]) => `${detector}=${action}:${count}`);
  if (injection?.over === true && injection.action === 'flag') parts.push(`injection=flagged:${injection.score.toFixed(2)}`);
  return parts.length === 0 ? undefined : parts.join(', ');
}

/**
 * Every string in `value` (keys included), walking objects and arrays: what `JSON.stringify` would
 * spell out, for telling whether a placeholder already occurs in the request (a placeholder has no
 * character JSON escapes, so it occurs in the JSON exactly when it occurs in one of these strings)
 * without serializing the request.
 */
function stringsIn(value: unknown, strings: string[] = []): string[] {
  if (typeof value === 'string') strings.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, strings);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      strings.push(key);
      stringsIn(item, strings);
    }
  }
  return strings;
}

/**
 * Guardrails at the edge, as a call middleware placed before the cache: personal values in the
 * request are replaced by placeholders consistent for the whole run tree (or masked, or the request
 * refused, or only logged, per detector), prompt injection in user text and tool results is scored
 * (logged, flagged or refused), and the answer — whole, or streamed with placeholders split across
 * chunks — gets the values back before the client sees it. The provider, the span store, exports
 * and the cache only ever see the placeholders.
 */
export class GuardrailMiddleware implements CallMiddleware {
  readonly name = 'guardrails';
  readonly #options: GuardrailMiddlewareOptions;
  /** Each call's restorer, from its request side to its answer. */
  readonly #restorers = new WeakMap<CallMiddlewareContext, Restorer>();
  /** A run tree's restorer, reused by its calls while the run has no new placeholder. */
  readonly #runRestorers = new WeakMap<RunPseudonyms, Restorer>();
  /** Texts scanned before: an agent resends its conversation every turn. */
  readonly #memo = new ScanMemo();

  constructor(options: GuardrailMiddlewareOptions) {
    this.#options = options;
  }

  /** Synchronous when nothing is to be replaced (the common case): no promise, no extra tick. */
  transformRequest({ request, context }: { request: ChatRequest; context: CallMiddlewareContext }): ChatRequest | Promise<ChatRequest> {
    const policy = this.#options.policyFor(context, request);
    if (policy === undefined) return request;
    const rootRunId = context.implicitRun ? undefined : context.rootRunId;
    const known = rootRunId === undefined ? undefined : this.#options.store.known(rootRunId);
    const scanned = scanRequest(request, policy, known, this.#memo);
    this.#report(context, scanned.pii, scanned.injection);
    if (scanned.edits.length === 0) return request;
    return this.#replaceValues(request, context, rootRunId, scanned);
  }

  async #replaceValues(request: ChatRequest, context: CallMiddlewareContext, rootRunId: string | undefined, scanned: ScannedRequest): Promise<ChatRequest> {
    let strings: string[] | undefined;
    const taken = (text: string) => (strings ??= stringsIn(request.messages)).some((each) => each.includes(text));
    const run = await this.#options.store.assign(rootRunId, scanned.wanted, taken);
    if (run.size > 0) this.#restorers.set(context, this.#restorerOf(run));
    return rewriteRequest(request, scanned, run);
  }

  #restorerOf(run: RunPseudonyms): Restorer {
    let restorer = this.#runRestorers.get(run);
    // A run only gains placeholders: the same count is the same set.
    if (restorer === undefined || restorer.placeholderCount !== run.values.size) this.#runRestorers.set(run, (restorer = new Restorer(run.values)));
    return restorer;
  }

  async wrapComplete({ context, next }: WrapCallOptions<ChatResult>): Promise<ChatResult> {
    const result = await next();
    const restorer = this.#restorers.get(context);
    return restorer === undefined ? result : restoreResult(result, restorer);
  }

  async wrapStream({ context, next }: WrapCallOptions<AsyncIterable<StreamEvent>>): Promise<AsyncIterable<StreamEvent>> {
    const stream = await next();
    const restorer = this.#restorers.get(context);
    return restorer === undefined ? stream : restoreStream(stream, restorer);
  }

  #report(context: CallMiddlewareContext, pii: PiiReport, injection: InjectionReport | undefined): void {
    if (Object.keys(pii).length > 0) context.setAttribute('guardrail_pii', pii);
    if (injection !== undefined) {
      context.setAttribute('guardrail_injection', { score: Number(injection.score.toFixed(3)), message: injection.message, source: injection.source, signals: injection.signals, action: injection.over ? injection.action : 'none' });
    }
    const header = headerOf(pii, injection);
    if (header !== undefined) context.setResponseHeader('x-gantry-guardrails', header);
  }
}
