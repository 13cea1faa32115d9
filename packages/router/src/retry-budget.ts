import { SlidingCounter } from './sliding-counter.ts';
import type { RoutingOptions } from './routing-options.ts';

/** Bounded memory of per-run spending. */
const MAX_RUNS = 50_000;

/**
 * Extra upstream tries (retries and fallbacks) are paid from two budgets, so that an outage never
 * multiplies load: gateway-wide, extra tries stay under a share of recent client requests; per run
 * tree, under a fixed count over the run's life (per instance).
 */
export class RetryBudget {
  private readonly requests: SlidingCounter;
  private readonly retries: SlidingCounter;
  private readonly spentByRun = new Map<string, number>();
  private denied = 0;

  constructor(private readonly options: Pick<RoutingOptions, 'retryBudgetRatio' | 'retryBudgetWindowMs' | 'retryBudgetMinimum' | 'runRetryBudget'>) {
    this.requests = new SlidingCounter(options.retryBudgetWindowMs);
    this.retries = new SlidingCounter(options.retryBudgetWindowMs);
  }

  /** Counts one client request. */
  noteRequest(now = Date.now()): void {
    this.requests.add(1, now);
  }

  /** Takes one extra try from both budgets; false (and nothing taken) when either is spent. */
  tryTake(rootRunId: string | undefined, now = Date.now()): boolean {
    const allowed = Math.max(this.options.retryBudgetMinimum, this.options.retryBudgetRatio * this.requests.total(now));
    if (this.retries.total(now) + 1 > allowed) return this.deny();
    if (rootRunId !== undefined) {
      const spent = this.spentByRun.get(rootRunId) ?? 0;
      if (spent >= this.options.runRetryBudget) return this.deny();
      if (this.spentByRun.size >= MAX_RUNS) this.spentByRun.clear();
      this.spentByRun.set(rootRunId, spent + 1);
    }
    this.retries.add(1, now);
    return true;
  }

  /** Forgets a run tree's spending (its run ended). */
  forgetRun(rootRunId: string): void {
    this.spentByRun.delete(rootRunId);
  }

  snapshot(now = Date.now()): { requests: number; retries: number; allowed: number; denied: number } {
    const requests = this.requests.total(now);
    return { requests, retries: this.retries.total(now), allowed: Math.max(this.options.retryBudgetMinimum, this.options.retryBudgetRatio * requests), denied: this.denied };
  }

  private deny(): false {
    this.denied++;
    return false;
  }
}
