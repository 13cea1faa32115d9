import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { spendGroups, sumSpend, type SpendGroup } from '@gantry/db';
import { toInvalidRequestError } from '@gantry/formats';
import { InvalidRequestError } from '@gantry/spec';
import { callerOf } from '../proxy/send-call.ts';
import { pointInTime } from './point-in-time.ts';

const when = pointInTime();

/**
 * One group of `GET /v1/spend`: its value under the name of the grouping (`{ team: 'team_1', … }`;
 * `YYYY-MM-DD` in UTC for `day`; null for spend without one, e.g. the master key's under `key`).
 */
export type SpendRowView = { [group in SpendGroup]?: string | null } & {
  /** Settled cost, in USD. */
  cost_usd: number;
  /** Settled cost, in micro-dollars. */
  cost_micros: number;
  /** Settled calls, cache hits included. */
  calls: number;
  /** Settled tokens, input and output (a cache hit's are none: no provider generated them). */
  tokens: number;
  /** What the group's cache hits would have cost a provider (the first answers' cost), in USD. */
  saved_usd: number;
  /** The same, in micro-dollars. */
  saved_micros: number;
  /** Calls answered from the response cache; each is in `cost_usd` at its `cache.hit_charge` (0 by default). */
  cache_hits: number;
};

/** `GET /v1/spend`: settled spend in the window, grouped, largest first (at most 1,000 groups). */
export interface SpendView {
  group_by: SpendGroup;
  /** The window's start (ISO 8601), null when unbounded. */
  from: string | null;
  /** The window's end, exclusive (ISO 8601), null when unbounded. */
  to: string | null;
  total_cost_usd: number;
  total_cost_micros: number;
  /** What cache hits saved in the window, in USD (the sum of the groups' `saved_usd`). */
  total_saved_usd: number;
  /** The same, in micro-dollars. */
  total_saved_micros: number;
  /** Calls answered from the response cache in the window. */
  total_cache_hits: number;
  data: SpendRowView[];
}

const spendQuery = z.strictObject({
  group_by: z.enum(spendGroups, { error: `must be one of ${spendGroups.join(', ')}` }).default('day'),
  from: when.optional(),
  to: when.optional(),
});

/**
 * `GET /v1/spend`: settled spend from the ledger, grouped, with what response-cache hits saved. The
 * master key sees everything; a key sees its team's spend (or its own, without a team).
 */
const spendRoute: FastifyPluginAsync = async (app) => {
  app.get('/v1/spend', async (request): Promise<SpendView> => {
    const parsed = spendQuery.safeParse(request.query, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'query');
    const { group_by: groupBy, from, to } = parsed.data;
    if (from !== undefined && to !== undefined && from >= to) {
      throw new InvalidRequestError('invalid query: from: must be before to', { param: 'from' });
    }
    // Calls settle asynchronously: include what this instance has in hand.
    await app.gantry.budgets.drain();
    const caller = callerOf(request);
    const visibility = caller.master ? {} : caller.teamId !== null ? { teamId: caller.teamId } : { apiKeyId: caller.apiKeyId! };
    const rows = await sumSpend(app.gantry.database.db, { groupBy, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }), ...visibility });
    const total = rows.reduce((sum, row) => sum + row.costMicros, 0);
    const saved = rows.reduce((sum, row) => sum + row.savedMicros, 0);
    return {
      group_by: groupBy,
      from: from?.toISOString() ?? null,
      to: to?.toISOString() ?? null,
      total_cost_usd: total / 1e6,
      total_cost_micros: total,
      total_saved_usd: saved / 1e6,
      total_saved_micros: saved,
      total_cache_hits: rows.reduce((sum, row) => sum + row.cacheHits, 0),
      data: rows.map((row) => ({
        [groupBy]: row.group,
        cost_usd: row.costMicros / 1e6,
        cost_micros: row.costMicros,
        calls: row.calls,
        tokens: row.tokens,
        saved_usd: row.savedMicros / 1e6,
        saved_micros: row.savedMicros,
        cache_hits: row.cacheHits,
      })),
    };
  });
};

export default spendRoute;
