import { InvalidRequestError } from '@gantry/spec';

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** USD given as a decimal string → micro-dollars, exactly (at most 6 decimals). */
export function parseUsdMicros(text: string): number | undefined {
  const match = /^(\d{1,9})(?:\.(\d{1,6}))?$/.exec(text);
  if (match === null) return undefined;
  return Number(match[1]) * 1_000_000 + Number((match[2] ?? '').padEnd(6, '0'));
}

/**
 * `x-gantry-run-budget-usd` and `x-gantry-run-max-calls`: an agent lowering its own run's limits.
 * Malformed or negative values are a 400 naming the header.
 */
export function readRunLimitHeaders(headers: Headers): { maxCostMicros?: number; maxCalls?: number } | undefined {
  const budget = header(headers, 'x-gantry-run-budget-usd');
  const calls = header(headers, 'x-gantry-run-max-calls');
  if (budget === undefined && calls === undefined) return undefined;
  const lower: { maxCostMicros?: number; maxCalls?: number } = {};
  if (budget !== undefined) {
    const micros = parseUsdMicros(budget);
    if (micros === undefined) throw new InvalidRequestError(`header x-gantry-run-budget-usd: '${budget.slice(0, 40)}' is not a non-negative amount of USD; send e.g. 2.50 (at most 6 decimals)`, { param: 'x-gantry-run-budget-usd' });
    lower.maxCostMicros = micros;
  }
  if (calls !== undefined) {
    if (!/^\d{1,9}$/.test(calls)) throw new InvalidRequestError(`header x-gantry-run-max-calls: '${calls.slice(0, 40)}' is not a non-negative whole number of calls`, { param: 'x-gantry-run-max-calls' });
    lower.maxCalls = Number(calls);
  }
  return lower;
}

/** `x-gantry-customer-id`, else the request's own `user` field. */
export function readCustomerHeader(headers: Headers, user: string | undefined): string | undefined {
  const id = header(headers, 'x-gantry-customer-id') ?? user;
  if (id !== undefined && id.length > 256) throw new InvalidRequestError('header x-gantry-customer-id (or field user): at most 256 characters', { param: 'x-gantry-customer-id' });
  return id;
}
