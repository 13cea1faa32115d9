import type { LeaseWant, LedgerCheck } from '@gantry/db';

/** A budget lease as this instance mirrors it, and the arithmetic of what calls draw on it. */
export interface Amounts {
  micros: number;
  calls: number;
  tokens: number;
}

export const zero = (): Amounts => ({ micros: 0, calls: 0, tokens: 0 });
export const DIMENSIONS = ['micros', 'calls', 'tokens'] as const;

/** The limits a check puts on each dimension (undefined: unlimited). */
export function limitsOf(check: LedgerCheck): Partial<Amounts> {
  return { micros: check.limitMicros, calls: check.limitCalls, tokens: check.limitTokens };
}

/** A lease's limits as `gantry_lease` takes them (a dimension without a limit is left out). */
export function limitFields({ micros, calls, tokens }: Partial<Amounts>): Pick<LeaseWant, 'limitMicros' | 'limitCalls' | 'limitTokens'> {
  return {
    ...(micros === undefined ? {} : { limitMicros: micros }),
    ...(calls === undefined ? {} : { limitCalls: calls }),
    ...(tokens === undefined ? {} : { limitTokens: tokens }),
  };
}

/** What a call draws on a counter: only its limited dimensions (the others are counted at sync). */
export function amountsFor(check: LedgerCheck, costMicros: number, tokens: number): Amounts {
  return { micros: check.limitMicros === undefined ? 0 : costMicros, calls: check.limitCalls === undefined ? 0 : 1, tokens: check.limitTokens === undefined ? 0 : tokens };
}

/** Adds (`sign` 1) or takes back (-1) a call's draw on a counter: {@link amountsFor}, without allocating. */
export function move(inFlight: Amounts, check: LedgerCheck, costMicros: number, tokens: number, sign: 1 | -1): void {
  if (check.limitMicros !== undefined) inFlight.micros += sign * costMicros;
  if (check.limitCalls !== undefined) inFlight.calls += sign;
  if (check.limitTokens !== undefined) inFlight.tokens += sign * tokens;
}

/** The map key of a counter window's lease. */
export const leaseKey = (scope: string, window: string) => `${scope}\n${window}`;

/** This instance's hold on one counter window, mirrored in memory. */
export interface Lease {
  scope: string;
  window: string;
  /** The limits the hold was taken under; a different limit (an admin change) trims it first. */
  limits: Partial<Amounts>;
  /** Held in the database (its figures, after the last operation on it). */
  held: Amounts;
  /** Drawn by calls still running. */
  inFlight: Amounts;
  /** Used by finished calls, not yet reported to the database. */
  used: Amounts;
  /** Monotonic time (ms) until which the hold may be drawn on without asking the database. */
  validUntil: number;
  /** Monotonic time (ms) of the last draw. */
  lastDrawn: number;
  /** Calls drawn on it still running (whether or not they drew on a limited dimension). */
  open: number;
  /** Draws since the rate was last measured, and draws per second (smoothed). */
  draws: number;
  rate: number;
  /** Set when the hold ran low: how much to take ahead, in the next refill. */
  refill: Amounts | undefined;
}

/** Whether a lease was taken under the limits a check carries now (no allocation: it is on every draw). */
export const takenUnder = (lease: Lease, check: LedgerCheck) => lease.limits.micros === check.limitMicros && lease.limits.calls === check.limitCalls && lease.limits.tokens === check.limitTokens;
