import { inArray } from 'drizzle-orm';
import { apiKeys, customers, getCounter, teams, type Budget, type BudgetPeriod, type BudgetScope, type GantryDb } from '@gantry/db';
import { periodEnd, periodStart } from '@gantry/policy';

/**
 * A budget on the wire, as `GET /admin/budgets` and `GET /v1/budgets` both answer it: its limit and
 * what the current period has spent and holds reserved against it. Defined once here so the admin
 * API and the console's view cannot drift apart.
 */
export interface BudgetView {
  id: string;
  scope: BudgetScope;
  /** The key, team or customer id (customers: the gateway's id, not the external one). */
  scope_id: string;
  period: BudgetPeriod;
  /** Limit per period, in USD. */
  limit_usd: number;
  /** Limit per period, in micro-dollars. */
  limit_micros: number;
  /** Start of the current period (ISO 8601, UTC); 1970-01-01 for `total`. */
  period_start: string;
  /** When the current period ends (ISO 8601, UTC); null for `total`, which never resets. */
  resets_at: string | null;
  /** Settled spend in the current period, in USD. */
  spent_usd: number;
  /** Held by calls in flight and by instances' leases, not yet settled, in USD. */
  reserved_usd: number;
  /** `spent_usd / limit_usd` (may exceed 1 by the last call's overrun); 0 when the limit is 0. */
  used_fraction: number;
  /** The key's, team's or customer's name; null when it has none (or no longer exists). */
  scope_name: string | null;
}

const usd = (micros: number): number => micros / 1e6;

/** `key:<id>`: the lookup key of a budget's owner in a {@link ScopeNames} map. */
const ownerOf = (budget: Pick<Budget, 'scope' | 'scopeId'>): string => `${budget.scope}:${budget.scopeId}`;

/** Names of budgets' owners by {@link ownerOf}; an owner without a name is absent. */
type ScopeNames = ReadonlyMap<string, string>;

/** Ids of the budgets of one scope, without repeats. */
function idsOf(budgets: readonly Budget[], scope: BudgetScope): string[] {
  return [...new Set(budgets.filter((budget) => budget.scope === scope).map((budget) => budget.scopeId))];
}

/** The names of the keys, teams and customers the budgets are on: one query per scope present. */
async function scopeNamesOf(db: GantryDb, budgets: readonly Budget[]): Promise<ScopeNames> {
  const keyIds = idsOf(budgets, 'key');
  const teamIds = idsOf(budgets, 'team');
  const customerIds = idsOf(budgets, 'customer');
  const [keyRows, teamRows, customerRows] = await Promise.all([
    keyIds.length === 0 ? [] : db.select({ id: apiKeys.id, name: apiKeys.name }).from(apiKeys).where(inArray(apiKeys.id, keyIds)),
    teamIds.length === 0 ? [] : db.select({ id: teams.id, name: teams.name }).from(teams).where(inArray(teams.id, teamIds)),
    customerIds.length === 0 ? [] : db.select({ id: customers.id, name: customers.name }).from(customers).where(inArray(customers.id, customerIds)),
  ]);
  const names = new Map<string, string>();
  for (const [scope, rows] of [['key', keyRows], ['team', teamRows], ['customer', customerRows]] as const) {
    for (const row of rows) if (row.name !== null) names.set(ownerOf({ scope, scopeId: row.id }), row.name);
  }
  return names;
}

/** One budget with its current period's counter, as of `now` (the budget guard's clock). */
async function toView(db: GantryDb, budget: Budget, now: Date, names: ScopeNames): Promise<BudgetView> {
  const start = periodStart(budget.period, now);
  const counter = await getCounter(db, `budget:${budget.id}`, start);
  const spentMicros = counter?.spentMicros ?? 0;
  return {
    id: budget.id,
    scope: budget.scope,
    scope_id: budget.scopeId,
    period: budget.period,
    limit_usd: usd(budget.limitMicros),
    limit_micros: budget.limitMicros,
    period_start: start.toISOString(),
    resets_at: periodEnd(budget.period, now)?.toISOString() ?? null,
    spent_usd: usd(spentMicros),
    reserved_usd: usd(counter?.reservedMicros ?? 0),
    used_fraction: budget.limitMicros === 0 ? 0 : spentMicros / budget.limitMicros,
    scope_name: names.get(ownerOf(budget)) ?? null,
  };
}

/**
 * Budgets on the wire, in the order given, with their current period's spend as of `now`. Reads
 * the counters as they stand: callers that must show calls just made drain the budget guard first.
 */
export async function toBudgetViews(db: GantryDb, budgets: readonly Budget[], now: Date): Promise<BudgetView[]> {
  const names = await scopeNamesOf(db, budgets);
  return Promise.all(budgets.map((budget) => toView(db, budget, now, names)));
}

/** One budget on the wire (see {@link toBudgetViews}). */
export async function toBudgetView(db: GantryDb, budget: Budget, now: Date): Promise<BudgetView> {
  return toView(db, budget, now, await scopeNamesOf(db, [budget]));
}
