import type { BudgetPeriod } from '@gantry/db';

const DAY_MS = 86_400_000;

/** Start of the UTC period containing `at` (weeks start on Monday); the epoch for `total`. */
export function periodStart(period: BudgetPeriod, at: Date): Date {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  const day = at.getUTCDate();
  switch (period) {
    case 'day':
      return new Date(Date.UTC(year, month, day));
    case 'week':
      return new Date(Date.UTC(year, month, day) - ((at.getUTCDay() + 6) % 7) * DAY_MS);
    case 'month':
      return new Date(Date.UTC(year, month, 1));
    case 'total':
      return new Date(0);
  }
}

/** When the period containing `at` ends (the next one starts); undefined for `total`. */
export function periodEnd(period: BudgetPeriod, at: Date): Date | undefined {
  const start = periodStart(period, at);
  switch (period) {
    case 'day':
      return new Date(start.getTime() + DAY_MS);
    case 'week':
      return new Date(start.getTime() + 7 * DAY_MS);
    case 'month':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    case 'total':
      return undefined;
  }
}

/** Start of the rate-limit minute containing `at`. */
export function minuteStart(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 60_000) * 60_000);
}

/** The last window key computed per period (and for minutes), valid until its window ends. */
const windowKeys = new Map<BudgetPeriod | 'minute', { from: number; until: number; key: string }>();

/**
 * The ISO 8601 start of the window containing `at` — a counter's window key — computed once per
 * window rather than on every call (it is on every limited call's path).
 */
export function windowKey(period: BudgetPeriod | 'minute', at: Date): string {
  const time = at.getTime();
  const cached = windowKeys.get(period);
  if (cached !== undefined && time >= cached.from && time < cached.until) return cached.key;
  const start = period === 'minute' ? minuteStart(at) : periodStart(period, at);
  const end = period === 'minute' ? start.getTime() + 60_000 : (periodEnd(period, at)?.getTime() ?? Number.POSITIVE_INFINITY);
  const key = start.toISOString();
  windowKeys.set(period, { from: start.getTime(), until: end, key });
  return key;
}
