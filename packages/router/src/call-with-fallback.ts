import { toGatewayError, type GatewayError } from '@gantry/spec';
import type { Target } from './target.ts';

/** One upstream try, kept for the span tree. */
export interface Attempt {
  target: Target;
  startedAt: number;
  endedAt: number;
  error?: GatewayError;
}

/**
 * Tries targets in order until one accepts the call. Moves on only for retryable errors (connection
 * failures, timeouts, 429, 5xx); an error caused by the request itself is returned at once. For a
 * stream, "accepts" means the provider answered 2xx, before any byte reached the client.
 */
export async function callWithFallback<T>(
  targets: readonly Target[],
  signal: AbortSignal,
  call: (target: Target) => Promise<T>,
  /** Filled with every try, also when the call finally fails. */
  attempts: Attempt[],
): Promise<{ value: T; target: Target }> {
  for (let position = 0; position < targets.length; position++) {
    const target = targets[position]!;
    const startedAt = Date.now();
    try {
      const value = await call(target);
      attempts.push({ target, startedAt, endedAt: Date.now() });
      return { value, target };
    } catch (error) {
      if (signal.aborted) throw error;
      const gatewayError = toGatewayError(error);
      attempts.push({ target, startedAt, endedAt: Date.now(), error: gatewayError });
      if (!gatewayError.retryable || position === targets.length - 1) {
        throw gatewayError;
      }
    }
  }
  throw new Error('callWithFallback needs at least one target');
}
