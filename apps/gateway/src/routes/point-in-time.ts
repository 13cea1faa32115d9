import { z } from 'zod';

/**
 * A query parameter naming a moment: a date-time, a date (UTC midnight), or a span back from `now`
 * (`30d`, `12h`, `2w`), read when the request is parsed.
 */
export function pointInTime(now: () => Date = () => new Date()) {
  return z.string().transform((text, context) => {
    const relative = /^(\d{1,5})([hdw])$/.exec(text);
    if (relative !== null) {
      const hours = { h: 1, d: 24, w: 168 }[relative[2] as 'h' | 'd' | 'w'];
      return new Date(now().getTime() - Number(relative[1]) * hours * 3_600_000);
    }
    const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : new Date(text);
    if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
      context.addIssue({ code: 'custom', message: 'must be an ISO 8601 date or date-time (2026-11-01, 2026-11-01T00:00:00Z) or a span back from now like 7d, 24h, 2w' });
      return z.NEVER;
    }
    return date;
  });
}
