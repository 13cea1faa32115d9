import { SlidingCounter } from './sliding-counter.ts';
import type { BreakerOptions } from './routing-options.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

interface Breaker {
  state: BreakerState;
  consecutiveFailures: number;
  calls: SlidingCounter;
  failures: SlidingCounter;
  /** When an open breaker lets one probe through (ms since epoch). */
  retryAt: number;
  /** A half-open probe is in flight. */
  probing: boolean;
  openedTimes: number;
  lastFailure?: string;
}

/** One target's breaker, as `GET /admin/targets` and `/metrics` show it. */
export interface BreakerSnapshot {
  target: string;
  state: BreakerState;
  consecutiveFailures: number;
  /** Calls and failures over the error-rate window. */
  windowCalls: number;
  windowFailures: number;
  /** How many times the breaker opened since start. */
  openedTimes: number;
  /** ISO time at which an open breaker lets a probe through. */
  retryAt?: string;
  lastFailure?: string;
}

/**
 * A circuit breaker per target (`provider/model`), shared by every alias that uses it. Closed →
 * open after `failureThreshold` consecutive failures, or when the error rate over `windowMs`
 * reaches `errorRate` (with at least `minRequests` calls). Open targets are skipped; after `openMs`
 * one probe goes through (half-open); its success closes the breaker, its failure re-opens it.
 */
export class CircuitBreakers {
  private readonly breakers = new Map<string, Breaker>();

  constructor(private readonly options: BreakerOptions) {}

  /** Whether a try may go to `target` now. Claims the probe slot of a half-open breaker. */
  tryAcquire(target: string, now = Date.now()): boolean {
    const breaker = this.breakers.get(target);
    if (breaker === undefined || breaker.state === 'closed') return true;
    if (breaker.state === 'open' && now >= breaker.retryAt) breaker.state = 'half-open';
    if (breaker.state === 'half-open' && !breaker.probing) {
      breaker.probing = true;
      return true;
    }
    return false;
  }

  /** Whether `target` would be skipped now (no side effect). */
  isOpen(target: string, now = Date.now()): boolean {
    const breaker = this.breakers.get(target);
    if (breaker === undefined || breaker.state === 'closed') return false;
    return breaker.state === 'half-open' ? breaker.probing : now < breaker.retryAt;
  }

  /** Gives back a probe slot taken by tryAcquire when the try ended neither way (client left, bad request). */
  release(target: string): void {
    const breaker = this.breakers.get(target);
    if (breaker !== undefined) breaker.probing = false;
  }

  onSuccess(target: string, now = Date.now()): void {
    const breaker = this.get(target);
    if (breaker.state !== 'closed') {
      // A recovered target starts with a clean window, or its outage would trip it again at once.
      breaker.calls = new SlidingCounter(this.options.windowMs);
      breaker.failures = new SlidingCounter(this.options.windowMs);
    }
    breaker.calls.add(1, now);
    breaker.consecutiveFailures = 0;
    breaker.probing = false;
    breaker.state = 'closed';
  }

  onFailure(target: string, reason: string, now = Date.now()): void {
    const breaker = this.get(target);
    breaker.calls.add(1, now);
    breaker.failures.add(1, now);
    breaker.consecutiveFailures++;
    breaker.lastFailure = reason;
    const calls = breaker.calls.total(now);
    const tripped =
      breaker.state === 'half-open' ||
      breaker.consecutiveFailures >= this.options.failureThreshold ||
      (calls >= this.options.minRequests && breaker.failures.total(now) / calls >= this.options.errorRate);
    breaker.probing = false;
    if (tripped && breaker.state !== 'open') {
      breaker.state = 'open';
      breaker.openedTimes++;
      breaker.retryAt = now + this.options.openMs;
    } else if (tripped) {
      breaker.retryAt = now + this.options.openMs;
    }
  }

  snapshot(now = Date.now()): BreakerSnapshot[] {
    return [...this.breakers.entries()].map(([target, breaker]) => {
      const state = breaker.state === 'open' && now >= breaker.retryAt ? 'half-open' : breaker.state;
      return {
        target,
        state,
        consecutiveFailures: breaker.consecutiveFailures,
        windowCalls: breaker.calls.total(now),
        windowFailures: breaker.failures.total(now),
        openedTimes: breaker.openedTimes,
        ...(breaker.state === 'closed' ? {} : { retryAt: new Date(breaker.retryAt).toISOString() }),
        ...(breaker.lastFailure === undefined ? {} : { lastFailure: breaker.lastFailure }),
      };
    });
  }

  private get(target: string): Breaker {
    let breaker = this.breakers.get(target);
    if (breaker === undefined) {
      breaker = { state: 'closed', consecutiveFailures: 0, calls: new SlidingCounter(this.options.windowMs), failures: new SlidingCounter(this.options.windowMs), retryAt: 0, probing: false, openedTimes: 0 };
      this.breakers.set(target, breaker);
    }
    return breaker;
  }
}
