import type { Budget, LedgerRefusal } from '@gantry/db';
import { BudgetExceededError, InvalidRequestError, RateLimitedError, type GatewayError } from '@gantry/spec';
import { periodEnd } from './budget-periods.ts';

/** What a counter scope stands for, for the error that names it. */
export type ScopeOwner =
  | { kind: 'budget'; budget: Budget; ownerName: string }
  | { kind: 'run'; runId: string; rootRunId: string }
  | { kind: 'rate'; owner: 'key' | 'team'; id: string; rpm: number | undefined; tpm: number | undefined; windowEnd: Date }
  | { kind: 'parallel'; keyId: string };

/** Micro-dollars as dollars with four decimals (what the conventions' examples show). */
export function usd(micros: number): string {
  return `$${(micros / 1_000_000).toFixed(micros !== 0 && Math.abs(micros) < 10_000 ? 6 : 4)}`;
}

const RUN_LIMIT_NAMES: Record<string, string> = { cost: 'max cost', calls: 'max LLM calls', tokens: 'max tokens', depth: 'max sub-agent depth', wall_time: 'max wall time' };

function runAmount(reason: string, value: number): string {
  if (reason === 'cost') return usd(value);
  if (reason === 'wall_time') return `${(value / 1000).toFixed(1)}s`;
  return String(value);
}

/** A refused reservation as the client-visible error: what was hit, how much, and how to raise it. */
export function limitError(refusal: LedgerRefusal, owner: ScopeOwner | undefined, at: Date): GatewayError {
  const spent = Number(refusal.spent ?? 0);
  const reserved = Number(refusal.reserved ?? 0);
  const limit = Number(refusal.limit);
  if (refusal.reason === 'raise' && owner?.kind === 'run') {
    const shown = refusal.field === 'x-gantry-run-budget-usd' ? usd(limit) : String(limit);
    return new InvalidRequestError(
      `header ${refusal.field}: run ${owner.rootRunId} is limited to ${shown}; this header can only lower a run's limits, never raise them; raise them with POST /v1/runs/${owner.rootRunId}/limits (admin)`,
      { param: refusal.field ?? 'x-gantry-run-budget-usd' },
    );
  }
  if (owner?.kind === 'budget') {
    const { budget } = owner;
    const reset = periodEnd(budget.period, at);
    const inFlight = reserved > 0 ? ` (plus ${usd(reserved)} reserved by calls in flight)` : '';
    return new BudgetExceededError(
      `budget exceeded for ${budget.scope} '${owner.ownerName}' (${budget.period} budget ${budget.id}): spent ${usd(spent)}${inFlight} of ${usd(limit)}, and this call may cost up to ${usd(Number(refusal.needed ?? 0))}; ` +
        `raise it with PATCH /admin/budgets/${budget.id} {"limit_usd": …} or \`gantry budgets update ${budget.id} --limit-usd <usd>\`${reset === undefined ? '' : `, or wait for the reset at ${reset.toISOString()}`}`,
      { kind: budget.scope, id: budget.scopeId },
    );
  }
  if (owner?.kind === 'run') {
    const what = RUN_LIMIT_NAMES[refusal.reason] ?? refusal.reason;
    const inFlight = refusal.reason === 'cost' && reserved > 0 ? ` (plus ${usd(reserved)} reserved by calls in flight)` : '';
    return new BudgetExceededError(
      `budget exceeded for run ${owner.runId}${owner.rootRunId === owner.runId ? '' : ` (run tree ${owner.rootRunId})`}: ${what} reached, spent ${runAmount(refusal.reason, spent)}${inFlight} of ${runAmount(refusal.reason, limit)}; ` +
        `the run is paused; raise its limits with POST /v1/runs/${owner.rootRunId}/limits and the next call goes through`,
      { kind: 'run', id: owner.rootRunId },
    );
  }
  if (owner?.kind === 'rate') {
    const retryAfter = Math.max(1, Math.ceil((owner.windowEnd.getTime() - at.getTime()) / 1000));
    const headers: Record<string, string> = { 'retry-after': String(retryAfter) };
    if (owner.rpm !== undefined) {
      headers['x-ratelimit-limit-requests'] = String(owner.rpm);
      headers['x-ratelimit-remaining-requests'] = String(refusal.reason === 'calls' ? 0 : Math.max(0, owner.rpm - spent));
      headers['x-ratelimit-reset-requests'] = `${retryAfter}s`;
    }
    if (owner.tpm !== undefined) {
      headers['x-ratelimit-limit-tokens'] = String(owner.tpm);
      headers['x-ratelimit-remaining-tokens'] = String(refusal.reason === 'tokens' ? Math.max(0, owner.tpm - spent) : owner.tpm);
      headers['x-ratelimit-reset-tokens'] = `${retryAfter}s`;
    }
    const what = refusal.reason === 'tokens' ? `${owner.tpm} tokens per minute (this call needs up to ${refusal.needed})` : `${owner.rpm} requests per minute`;
    return new RateLimitedError(`rate limit of ${owner.owner} '${owner.id}' reached: ${what}; retry after ${retryAfter}s, or raise it with PATCH /admin/${owner.owner === 'key' ? 'keys' : 'teams'}/${owner.id}`, { headers });
  }
  if (owner?.kind === 'parallel') {
    return new RateLimitedError(`key '${owner.keyId}' already has ${spent} requests in flight, its limit of parallel requests (${limit}); retry when one finishes, or raise max_parallel with PATCH /admin/keys/${owner.keyId}`, {
      headers: { 'retry-after': '1' },
    });
  }
  return new BudgetExceededError(`budget exceeded for ${refusal.scope}: spent ${spent} of ${limit}`, { kind: refusal.scope, id: refusal.scope });
}
