import type { ProviderStream } from '@gantry/providers';
import { toGatewayError, UnavailableError, type GatewayError } from '@gantry/spec';
import { backoffDelayMs, retryAfterMs, sleep } from './backoff.ts';
import { CircuitBreakers, type BreakerSnapshot } from './circuit-breakers.ts';
import { classifyFailure, isTargetFailure } from './classify-failure.ts';
import { LatencyTracker } from './latency-tracker.ts';
import type { ModelResolver, Route } from './model-resolver.ts';
import { orderTargets } from './order-targets.ts';
import { RetryBudget } from './retry-budget.ts';
import { DEFAULT_ROUTING_OPTIONS, FALLBACK_CONDITIONS, type RoutingOptions } from './routing-options.ts';
import { peekStream } from './peek-stream.ts';
import type { RunPins } from './run-pins.ts';
import type { Target } from './target.ts';
import { deadlineOf, tryTarget } from './try-target.ts';

/** One upstream try, kept for the span tree. */
export interface Attempt {
  target: Target;
  startedAt: number;
  endedAt: number;
  error?: GatewayError;
}

export interface RouteCallOptions<T> {
  signal: AbortSignal;
  /** Filled with every try, also when the call finally fails. */
  attempts: Attempt[];
  /** Streams: the first-event deadline applies. The call must resolve only after the first event. */
  stream?: boolean;
  /** The run tree the call belongs to: its retry budget (and, with `pins`, its stickiness). */
  rootRunId?: string;
  pins?: RunPins;
  /** A successful answer that is a content-policy refusal (it may move to `content_policy_fallback`). */
  isRefusal?: (value: T) => boolean;
}

const DEFAULT_STICKY_TTL_MS = 60 * 60_000;

/**
 * Sends calls to targets: orders an alias's targets by its strategy (a run's pin first), skips
 * targets whose breaker is open, moves on after failures the alias falls back on, retries with
 * backoff when every target failed, and pays every extra try from the retry budgets.
 */
export class Router {
  readonly breakers: CircuitBreakers;
  readonly budget: RetryBudget;
  readonly latency = new LatencyTracker();
  readonly options: RoutingOptions;

  constructor(
    readonly resolver: ModelResolver,
    options: Partial<RoutingOptions> = {},
  ) {
    this.options = { ...DEFAULT_ROUTING_OPTIONS, ...options, breaker: { ...DEFAULT_ROUTING_OPTIONS.breaker, ...options.breaker } };
    this.breakers = new CircuitBreakers(this.options.breaker);
    this.budget = new RetryBudget(this.options);
  }

  /** Resolves `model` (throws for unknown names) before any work is done for the call. */
  route(model: string): Route {
    return this.resolver.route(model);
  }

  async call<T>(route: Route, options: RouteCallOptions<T>, call: (target: Target, signal: AbortSignal) => Promise<T>): Promise<{ value: T; target: Target }> {
    this.budget.noteRequest();
    const settings = route.alias?.settings;
    const ordered = orderTargets(route.targets, settings?.strategy ?? 'fallback', this.latency);
    const ttlMs = settings?.stickyTtlMs ?? DEFAULT_STICKY_TTL_MS;
    const pins = route.alias !== undefined && settings?.sticky !== 'none' ? options.pins : undefined;
    // Stickiness is a preference: a database hiccup reading or writing a pin must not fail the call.
    const pinned = pins === undefined ? undefined : await pins.get(route.alias!.name, ttlMs).catch(() => undefined);
    const pinnedAt = ordered.findIndex((target) => target.id === pinned);
    if (pinnedAt > 0) ordered.unshift(...ordered.splice(pinnedAt, 1));

    const fallbackOn: readonly string[] = settings?.fallbackOn ?? FALLBACK_CONDITIONS;
    const maxAttempts = settings?.retry?.maxAttempts ?? ordered.length;
    const backoff = { baseDelayMs: settings?.retry?.baseDelayMs ?? 100, maxDelayMs: settings?.retry?.maxDelayMs ?? 2_000 };
    let plan = ordered;
    let position = 0;
    let round = 0;
    let tries = 0;
    let movedOn = false;
    let lastError: GatewayError | undefined;
    const skipped: string[] = [];
    const usedSpecial = new Set<Target>();
    /** A refusal that moved to content_policy_fallback: still the answer if the fallback fails too. */
    let refused: { value: T; target: Target } | undefined;

    try {
      for (;;) {
        let target: Target | undefined;
        while (position < plan.length && target === undefined) {
          const candidate = plan[position++]!;
          if (this.breakers.tryAcquire(candidate.id)) target = candidate;
          else {
            skipped.push(candidate.id);
            movedOn = true;
          }
        }
        if (target === undefined) {
          if (lastError === undefined) throw this.allOpen(route, skipped);
          // Every target failed once more: back off (honouring Retry-After), then start over.
          const asked = retryAfterMs(lastError);
          if (plan !== ordered || tries >= maxAttempts || (asked !== undefined && asked > backoff.maxDelayMs)) throw lastError;
          await sleep(backoffDelayMs(round++, backoff, asked), options.signal);
          plan = ordered;
          position = 0;
          continue;
        }
        if (tries > 0 && !this.budget.tryTake(options.rootRunId)) {
          this.breakers.release(target.id);
          throw lastError!;
        }
        tries++;
        const startedAt = Date.now();
        try {
          const value = await tryTarget(target, options.signal, deadlineOf(target, options.stream === true), call);
          const endedAt = Date.now();
          this.breakers.onSuccess(target.id, endedAt);
          this.latency.record(target.id, endedAt - startedAt);
          const special = route.alias?.contentPolicyFallback;
          if (special !== undefined && !usedSpecial.has(special) && options.isRefusal?.(value) === true) {
            lastError = new UnavailableError(`${target.id} refused on content policy; moved to content_policy_fallback ${special.id}`);
            options.attempts.push({ target, startedAt, endedAt, error: lastError });
            refused = { value, target };
            usedSpecial.add(special);
            plan = [special];
            position = 0;
            continue;
          }
          options.attempts.push({ target, startedAt, endedAt });
          if (pins !== undefined && movedOn && !usedSpecial.has(target) && target.id !== pinned) await pins.set(route.alias!.name, target.id, ttlMs).catch(() => undefined);
          return { value, target };
        } catch (error) {
          if (options.signal.aborted) {
            this.breakers.release(target.id);
            options.attempts.push({ target, startedAt, endedAt: Date.now(), error: toGatewayError(error) });
            throw error;
          }
          const failure = toGatewayError(error);
          options.attempts.push({ target, startedAt, endedAt: Date.now(), error: failure });
          lastError = failure;
          const kind = classifyFailure(failure);
          if (isTargetFailure(kind)) this.breakers.onFailure(target.id, failure.message);
          else this.breakers.onSuccess(target.id);
          const special = kind === 'context-window' ? route.alias?.contextWindowFallback : kind === 'content-policy' ? route.alias?.contentPolicyFallback : undefined;
          if (special !== undefined && !usedSpecial.has(special)) {
            // Not counted against max_attempts: the request needs a different kind of target.
            usedSpecial.add(special);
            plan = [special];
            position = 0;
            continue;
          }
          if (!isTargetFailure(kind) || !fallbackOn.includes(kind) || tries >= maxAttempts) throw failure;
          movedOn = true;
        }
      }
    } catch (error) {
      if (refused === undefined || options.signal.aborted) throw error;
      return refused;
    }
  }

  /**
   * `call` for a stream: each try counts as succeeded only once its first event arrived (peeked
   * here), so a stream that fails before it can still move to the next target — nothing has
   * reached the caller yet. The first-event deadline applies.
   */
  callStream(route: Route, options: Omit<RouteCallOptions<ProviderStream>, 'stream'>, open: (target: Target, signal: AbortSignal) => Promise<ProviderStream>): Promise<{ value: ProviderStream; target: Target }> {
    return this.call(route, { ...options, stream: true }, async (target, signal) => peekStream(await open(target, signal)));
  }

  private allOpen(route: Route, skipped: readonly string[]): UnavailableError {
    const now = Date.now();
    const retryAt = Math.min(...this.breakers.snapshot(now).filter((breaker) => skipped.includes(breaker.target)).map((breaker) => Date.parse(breaker.retryAt ?? '') || now));
    const seconds = Math.max(1, Math.ceil((retryAt - now) / 1000));
    const name = route.alias?.name ?? route.targets[0]?.id ?? 'model';
    return new UnavailableError(`every target of '${name}' is failing and skipped by its circuit breaker (${skipped.join(', ')}); retry in ${seconds} s or add a fallback target`, {
      headers: { 'retry-after': String(seconds) },
    });
  }

  /** Breakers (every configured target, closed ones too), recent latency and retry budget, for admin and metrics. */
  snapshot(now = Date.now()): { targets: (BreakerSnapshot & { latencyMs?: number })[]; retryBudget: ReturnType<RetryBudget['snapshot']> } {
    const breakers = new Map(this.breakers.snapshot(now).map((breaker) => [breaker.target, breaker]));
    for (const [name] of this.resolver.listAliases()) {
      for (const target of this.resolver.route(name).targets) {
        if (!breakers.has(target.id)) breakers.set(target.id, { target: target.id, state: 'closed', consecutiveFailures: 0, windowCalls: 0, windowFailures: 0, openedTimes: 0 });
      }
    }
    const targets = [...breakers.values()].map((breaker) => {
      const latencyMs = this.latency.get(breaker.target);
      return latencyMs === undefined ? breaker : { ...breaker, latencyMs: Math.round(latencyMs) };
    });
    return { targets, retryBudget: this.budget.snapshot(now) };
  }
}
