import { DEFAULT_ROUTING_OPTIONS, type FallbackCondition, type ModelAlias, type RoutingOptions, type Strategy } from './routing-options.ts';

/** `models.<alias>` as written in gantry.yaml (already shape-checked). */
export interface AliasFile {
  targets: (string | { target: string; weight?: number | undefined; timeout_ms?: number | undefined; first_token_timeout_ms?: number | undefined })[];
  strategy?: Strategy | undefined;
  retry?: { max_attempts?: number | undefined; base_delay_ms?: number | undefined; max_delay_ms?: number | undefined } | undefined;
  fallback_on?: FallbackCondition[] | undefined;
  context_window_fallback?: string | undefined;
  content_policy_fallback?: string | undefined;
  sticky?: 'run' | 'none' | undefined;
  sticky_ttl_ms?: number | undefined;
}

/** `routing` as written in gantry.yaml. */
export interface RoutingFile {
  retry_budget_ratio?: number | undefined;
  retry_budget_window_ms?: number | undefined;
  retry_budget_minimum?: number | undefined;
  run_retry_budget?: number | undefined;
  breaker?: { failure_threshold?: number | undefined; error_rate?: number | undefined; window_ms?: number | undefined; min_requests?: number | undefined; open_ms?: number | undefined } | undefined;
}

/** Drops undefined fields, so optional properties stay absent under exactOptionalPropertyTypes. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

/**
 * Turns the `models` section into aliases, checking every reference: a target must be
 * `provider/model` with a configured provider. An alias cannot name another alias, so alias
 * cycles cannot exist; naming one says so. Returns `path: message` lines for every problem.
 */
export function readAliases(models: Record<string, AliasFile>, providerNames: ReadonlySet<string>): { aliases: Record<string, ModelAlias>; problems: string[] } {
  const problems: string[] = [];
  const check = (reference: string, path: string) => {
    const slash = reference.indexOf('/');
    if (slash < 0 && reference in models) {
      problems.push(`${path}: '${reference}' is an alias; targets name provider/model (an alias cannot point at an alias, so no cycles)`);
    } else if (slash <= 0 || slash === reference.length - 1) {
      problems.push(`${path}: '${reference}' must be provider/model`);
    } else if (!providerNames.has(reference.slice(0, slash))) {
      problems.push(`${path}: unknown provider '${reference.slice(0, slash)}'; configured providers: ${[...providerNames].join(', ') || 'none'}`);
    }
  };
  const aliases: Record<string, ModelAlias> = {};
  for (const [name, model] of Object.entries(models)) {
    const targets = model.targets.map((target, index) => {
      if (typeof target === 'string') {
        check(target, `models.${name}.targets[${index}]`);
        return target;
      }
      check(target.target, `models.${name}.targets[${index}].target`);
      return defined({ ref: target.target, weight: target.weight, timeoutMs: target.timeout_ms, firstTokenTimeoutMs: target.first_token_timeout_ms });
    });
    if (model.context_window_fallback !== undefined) check(model.context_window_fallback, `models.${name}.context_window_fallback`);
    if (model.content_policy_fallback !== undefined) check(model.content_policy_fallback, `models.${name}.content_policy_fallback`);
    const retry = model.retry === undefined ? undefined : defined({ maxAttempts: model.retry.max_attempts, baseDelayMs: model.retry.base_delay_ms, maxDelayMs: model.retry.max_delay_ms });
    aliases[name] = defined({
      targets,
      strategy: model.strategy,
      retry,
      fallbackOn: model.fallback_on,
      contextWindowFallback: model.context_window_fallback,
      contentPolicyFallback: model.content_policy_fallback,
      sticky: model.sticky,
      stickyTtlMs: model.sticky_ttl_ms,
    });
  }
  return { aliases, problems };
}

/** The `routing` section over the defaults. */
export function readRoutingOptions(routing: RoutingFile | undefined): RoutingOptions {
  const defaults = DEFAULT_ROUTING_OPTIONS;
  return {
    retryBudgetRatio: routing?.retry_budget_ratio ?? defaults.retryBudgetRatio,
    retryBudgetWindowMs: routing?.retry_budget_window_ms ?? defaults.retryBudgetWindowMs,
    retryBudgetMinimum: routing?.retry_budget_minimum ?? defaults.retryBudgetMinimum,
    runRetryBudget: routing?.run_retry_budget ?? defaults.runRetryBudget,
    breaker: {
      failureThreshold: routing?.breaker?.failure_threshold ?? defaults.breaker.failureThreshold,
      errorRate: routing?.breaker?.error_rate ?? defaults.breaker.errorRate,
      windowMs: routing?.breaker?.window_ms ?? defaults.breaker.windowMs,
      minRequests: routing?.breaker?.min_requests ?? defaults.breaker.minRequests,
      openMs: routing?.breaker?.open_ms ?? defaults.breaker.openMs,
    },
  };
}
