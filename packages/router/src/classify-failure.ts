import { GatewayError, ProviderHttpError } from '@gantry/spec';
import type { FallbackCondition } from './routing-options.ts';

/**
 * What a failed try means for routing:
 * - a fallback condition (`connection`, `timeout`, `429`, `5xx`, `529`): the target is unwell;
 * - `context-window` / `content-policy`: the request does not fit this target, another may take it;
 * - `request`: the request itself is wrong; no other target would answer differently;
 * - `local`: the gateway failed (a body it could not serialize, a bug, its own database); the
 *   target was never at fault, so it neither counts against the target's breaker nor moves on.
 */
export type FailureKind = FallbackCondition | 'context-window' | 'content-policy' | 'request' | 'local';

const CONTEXT_WINDOW = /context[ _-]?(length|window)|maximum context|prompt is too long|too many (input )?tokens|exceeds? the (model'?s? )?(maximum|limit)/i;
const CONTENT_POLICY = /content[ _-]?(policy|filter|management)|safety (system|filter)|responsible ai/i;

function codeOf(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return '';
  const { code, type } = error as { code?: unknown; type?: unknown };
  return `${typeof code === 'string' ? code : ''} ${typeof type === 'string' ? type : ''}`;
}

export function classifyFailure(error: GatewayError): FailureKind {
  if (error instanceof ProviderHttpError) {
    const status = error.upstreamStatus;
    if (status === 429) return '429';
    if (status === 529) return '529';
    if (status >= 500) return '5xx';
    if (status === 408) return 'timeout';
    if (status === 400 || status === 413 || status === 422) {
      const text = `${codeOf(error.body)} ${error.message}`;
      if (CONTEXT_WINDOW.test(text)) return 'context-window';
      if (CONTENT_POLICY.test(text)) return 'content-policy';
    }
    return error.retryable ? '5xx' : 'request';
  }
  if (error.code === 'provider_timeout') return 'timeout';
  if (error.code === 'provider_unreachable') return 'connection';
  // Only the three provider errors above say anything about the target. Any other server-side
  // error (internal_error, unavailable) happened here: blaming the target would let one tenant's
  // request open the breaker, and fail calls, for every tenant of that target.
  if (error.status >= 500) return 'local';
  return 'request';
}

/** True for the failures that say a target is unwell (they count against its breaker). */
export function isTargetFailure(kind: FailureKind): kind is FallbackCondition {
  return kind !== 'context-window' && kind !== 'content-policy' && kind !== 'request' && kind !== 'local';
}
