import { ProviderTimeoutError } from '@gantry/spec';
import type { Target } from './target.ts';

/**
 * One try against one target, with its own abort signal: aborted when the client leaves, or when
 * `deadlineMs` passes before `call` resolves (then the try fails with a ProviderTimeoutError that
 * names the target). Once `call` resolved, the deadline no longer applies: a committed stream runs
 * on under the client's signal only.
 */
export async function tryTarget<T>(
  target: Target,
  signal: AbortSignal,
  deadline: { ms: number; setting: string } | undefined,
  call: (target: Target, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (signal.aborted) throw signal.reason;
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer =
    deadline === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort(new Error('deadline'));
        }, deadline.ms);
  try {
    return await call(target, controller.signal);
  } catch (error) {
    signal.removeEventListener('abort', onAbort);
    if (timedOut && !signal.aborted) {
      throw new ProviderTimeoutError(target.provider.name, `provider ${target.provider.name} did not answer for ${target.id} within ${deadline!.ms} ms (${deadline!.setting}); moved on`, { cause: error });
    }
    // A try that failed on its own must not leave the upstream call running.
    controller.abort();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The deadline of a try: the whole call, or for a stream the tighter of that and its first event. */
export function deadlineOf(target: Target, stream: boolean): { ms: number; setting: string } | undefined {
  const whole = target.timeoutMs === undefined ? undefined : { ms: target.timeoutMs, setting: 'timeout_ms' };
  if (!stream || target.firstTokenTimeoutMs === undefined) return whole;
  if (whole !== undefined && whole.ms <= target.firstTokenTimeoutMs) return whole;
  return { ms: target.firstTokenTimeoutMs, setting: 'first_token_timeout_ms' };
}
