import { sql, type SQL } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';

export const spendGroups = ['key', 'team', 'customer', 'model', 'run_name', 'day'] as const;
export type SpendGroup = (typeof spendGroups)[number];

export interface SpendRow {
  /** The group's value (key id, team id, …; `YYYY-MM-DD` for day); null = none. */
  group: string | null;
  /** Settled cost in micro-dollars. */
  costMicros: number;
  /** Settled calls, cache hits included. */
  calls: number;
  tokens: number;
  /** What calls answered from the response cache would have cost a provider, in micro-dollars. */
  savedMicros: number;
  /** Calls answered from the response cache (each settled at its `cache.hit_charge`, 0 by default). */
  cacheHits: number;
}

const COLUMN: Record<SpendGroup, SQL> = {
  key: sql`api_key_id`,
  team: sql`team_id`,
  customer: sql`customer_id`,
  model: sql`model`,
  run_name: sql`run_name`,
  day: sql`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`,
};

/** Settled spend from the ledger, grouped, between `from` (inclusive) and `to` (exclusive), largest first. */
export async function sumSpend(db: GantryDb, options: { groupBy: SpendGroup; from?: Date; to?: Date; teamId?: string; apiKeyId?: string }): Promise<SpendRow[]> {
  const column = COLUMN[options.groupBy];
  const conditions: SQL[] = [sql`state = 'settled'`];
  if (options.from !== undefined) conditions.push(sql`created_at >= ${options.from.toISOString()}::timestamptz`);
  if (options.to !== undefined) conditions.push(sql`created_at < ${options.to.toISOString()}::timestamptz`);
  if (options.teamId !== undefined) conditions.push(sql`team_id = ${options.teamId}`);
  if (options.apiKeyId !== undefined) conditions.push(sql`api_key_id = ${options.apiKeyId}`);
  // saved_micros is set only on cache hits' entries: its count is the hits, its sum the savings.
  const result = await db.execute<{ group: string | null; cost: string; calls: string; tokens: string; saved: string; hits: string }>(sql`
    select ${column} as "group", sum(settled_micros)::text as cost, count(*)::text as calls, sum(settled_tokens)::text as tokens,
      coalesce(sum(saved_micros), 0)::text as saved, count(saved_micros)::text as hits
    from ledger_entries where ${sql.join(conditions, sql` and `)}
    group by 1 order by sum(settled_micros) desc, 1 limit 1000`);
  return result.rows.map((row) => ({
    group: row.group,
    costMicros: Number(row.cost),
    calls: Number(row.calls),
    tokens: Number(row.tokens),
    savedMicros: Number(row.saved),
    cacheHits: Number(row.hits),
  }));
}
