import { z } from 'zod';
import { InvalidRequestError } from '@gantry/spec';
import { pointInTime } from './point-in-time.ts';

/**
 * The query of `GET /v1/cache/traffic`: the window and the page. `since` is a date, a date-time or
 * a span back from now (`7d`, `24h`, `2w`, as `GET /v1/spend` reads them); `until` defaults to now.
 */

const NUL_FREE = (value: string): boolean => !value.includes('\u0000');

/** Most prompts one page holds. */
export const MAX_TRAFFIC_PAGE = 500;

function trafficQuery(now: Date) {
  return z.strictObject({
    since: pointInTime(() => now).optional(),
    until: pointInTime(() => now).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_TRAFFIC_PAGE).default(100),
    cursor: z.string().min(1).max(1_000).refine(NUL_FREE, 'must not contain a NUL character').optional(),
  });
}

/** A parsed traffic query: the window, the page size, and where the page starts. */
export interface TrafficQuery {
  since: Date;
  until: Date;
  limit: number;
  after: { startedAt: Date; id: string } | undefined;
}

/** The window when `since` is not given: the last week. */
const DEFAULT_SINCE_MS = 7 * 24 * 3_600_000;

const cursorContent = z.strictObject({ started_at: z.iso.datetime({ offset: true }), id: z.string().min(1).max(300) });

const notACursor = () => new InvalidRequestError('invalid query: cursor: is not a cursor from a previous page; pass next_cursor as given', { param: 'cursor' });

function readCursor(cursor: string): TrafficQuery['after'] {
  try {
    const parsed = cursorContent.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return { startedAt: new Date(parsed.data.started_at), id: parsed.data.id };
  } catch {
    // not base64url JSON: the same answer as any other foreign string
  }
  throw notACursor();
}

/** The next page's cursor: base64url JSON of the last span's start and id. */
export function encodeTrafficCursor(last: { startedAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ started_at: last.startedAt.toISOString(), id: last.id })).toString('base64url');
}

/**
 * The query as the route uses it, or a 400 naming the parameter: a window that ends before it
 * starts, or a cursor this route did not write.
 */
export function readTrafficQuery(query: unknown, now: Date, toError: (error: z.ZodError) => Error): TrafficQuery {
  const parsed = trafficQuery(now).safeParse(query, { reportInput: true });
  if (!parsed.success) throw toError(parsed.error);
  const until = parsed.data.until ?? now;
  const since = parsed.data.since ?? new Date(until.getTime() - DEFAULT_SINCE_MS);
  if (since >= until) {
    throw new InvalidRequestError(`invalid query: since: ${since.toISOString()} is not before until (${until.toISOString()}); give a window that starts before it ends`, { param: 'since' });
  }
  return { since, until, limit: parsed.data.limit, after: parsed.data.cursor === undefined ? undefined : readCursor(parsed.data.cursor) };
}
