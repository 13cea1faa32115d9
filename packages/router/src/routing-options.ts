/** Ways to pick the order in which an alias's targets are tried. */
export const STRATEGIES = ['fallback', 'weighted', 'least-latency'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Failures that move a call on to another try. */
export const FALLBACK_CONDITIONS = ['connection', 'timeout', '429', '5xx', '529'] as const;
export type FallbackCondition = (typeof FALLBACK_CONDITIONS)[number];

/** One target of an alias, as configured. */
export interface TargetSpec {
  /** `provider/model`. */
  ref: string;
  /** Relative share under the `weighted` strategy; positive. Default 1. */
  weight?: number;
  /** Milliseconds for the whole call (for a stream: until its first event). */
  timeoutMs?: number;
  /** Streams: milliseconds from the start of the try to the first event. */
  firstTokenTimeoutMs?: number;
}

export interface RetryOptions {
  /** Upstream tries per client request, fallbacks included. Default: one per target. */
  maxAttempts?: number;
  /** First backoff step in milliseconds (full jitter: the wait is random in [0, step]). Default 100. */
  baseDelayMs?: number;
  /** Cap of one wait in milliseconds; a Retry-After longer than this is not waited for. Default 2000. */
  maxDelayMs?: number;
}

/** An alias: a group of targets and how to use them. */
export interface ModelAlias {
  /** `provider/model` references (or specs), in order of preference. */
  targets: (string | TargetSpec)[];
  strategy?: Strategy;
  retry?: RetryOptions;
  /** Failures that move on. Default: all of FALLBACK_CONDITIONS. */
  fallbackOn?: FallbackCondition[];
  /** `provider/model` to use when a target says the request exceeds its context window. */
  contextWindowFallback?: string;
  /** `provider/model` to use when a target refuses on content policy. */
  contentPolicyFallback?: string;
  /** `run`: once a run falls back, it (and its sub-runs) stays on the target it moved to. Default `run`. */
  sticky?: 'run' | 'none';
  /** Milliseconds a run stays pinned after falling back. Default 1 hour. */
  stickyTtlMs?: number;
}

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. Default 5. */
  failureThreshold: number;
  /** Error share over `windowMs` that opens the breaker (with at least `minRequests`). Default 0.5. */
  errorRate: number;
  /** Milliseconds of history for the error rate. Default 10 000. */
  windowMs: number;
  /** Calls within the window before the error rate counts. Default 20. */
  minRequests: number;
  /** Milliseconds a breaker stays open before one half-open probe. Default 5 000. */
  openMs: number;
}

/** Gateway-wide routing settings. */
export interface RoutingOptions {
  /** Extra tries at most this share of client requests over `retryBudgetWindowMs`. Default 0.2. */
  retryBudgetRatio: number;
  /** Milliseconds of history for the gateway-wide retry budget. Default 10 000. */
  retryBudgetWindowMs: number;
  /** Extra tries always allowed per window, so a quiet gateway can still fall back. Default 10. */
  retryBudgetMinimum: number;
  /** Extra tries one run tree may make over its whole life (per instance). Default 20. */
  runRetryBudget: number;
  breaker: BreakerOptions;
}

export const DEFAULT_ROUTING_OPTIONS: RoutingOptions = {
  retryBudgetRatio: 0.2,
  retryBudgetWindowMs: 10_000,
  retryBudgetMinimum: 10,
  runRetryBudget: 20,
  breaker: { failureThreshold: 5, errorRate: 0.5, windowMs: 10_000, minRequests: 20, openMs: 5_000 },
};
