import type { GatewayError } from '@gantry/spec';

/**
 * Milliseconds the provider asked us to wait (`retry-after-ms`, `retry-after` in seconds or as an
 * HTTP date), or undefined when it did not say.
 */
export function retryAfterMs(error: GatewayError, now = Date.now()): number | undefined {
  const milliseconds = error.headers['retry-after-ms'];
  if (milliseconds !== undefined && Number.isFinite(Number(milliseconds))) return Math.max(0, Number(milliseconds));
  const value = error.headers['retry-after'];
  if (value === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.max(0, Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Exponential backoff with full jitter: random in [0, min(max, base · 2^retry)]. A Retry-After is a
 * floor, not a suggestion: the wait is never shorter than what the provider asked for.
 */
export function backoffDelayMs(retry: number, options: { baseDelayMs: number; maxDelayMs: number }, askedMs: number | undefined, random = Math.random): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  const jittered = random() * step;
  return askedMs === undefined ? jittered : Math.max(askedMs, jittered);
}

/** Resolves after `ms`, or rejects at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
