import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { timestamps, timestamptz } from './columns.ts';
import { newId } from '../new-id.ts';

export const budgetScopes = ['key', 'team', 'customer'] as const;
export type BudgetScope = (typeof budgetScopes)[number];

/** Budget periods; each resets on its UTC boundary (weeks start on Monday). `total` never resets. */
export const budgetPeriods = ['day', 'week', 'month', 'total'] as const;
export type BudgetPeriod = (typeof budgetPeriods)[number];

/** A spending limit on a key, a team or a customer, per period. */
export const budgets = pgTable(
  'budgets',
  {
    /** UUIDv7 from `newId()`, filled in on insert when the row has none. */
    id: text('id').primaryKey().$defaultFn(newId),
    scope: text('scope').$type<BudgetScope>().notNull(),
    /** The key, team or customer id (customers: `customers.id`). */
    scopeId: text('scope_id').notNull(),
    period: text('period').$type<BudgetPeriod>().notNull(),
    /** Limit per period, in micro-dollars. */
    limitMicros: bigint('limit_micros', { mode: 'number' }).notNull(),
    ...timestamps,
  },
  (table) => [
    index('budgets_scope_scope_id_idx').on(table.scope, table.scopeId),
    check('budgets_limit_micros_check', sql`${table.limitMicros} >= 0`),
  ],
);

/**
 * What has been spent and reserved against one limit in one window: a budget's period, a run
 * tree's lifetime, or a rate-limit minute. Written only by the `gantry_reserve` / `gantry_settle`
 * functions (the end of drizzle/0000_spine.sql), which lock rows in (scope, window) order.
 */
export const budgetCounters = pgTable(
  'budget_counters',
  {
    /** `budget:<id>`, `run:<root run id>`, `rate:key:<id>`, `rate:team:<id>`, `parallel:key:<id>`. */
    scope: text('scope').notNull(),
    /** Start of the period or minute; 1970-01-01 for windows that never reset. */
    windowStart: timestamptz('window_start').notNull(),
    /** Settled spend in micro-dollars. */
    spentMicros: bigint('spent_micros', { mode: 'number' }).notNull().default(0),
    /** Reserved, not yet settled or released, in micro-dollars. */
    reservedMicros: bigint('reserved_micros', { mode: 'number' }).notNull().default(0),
    /** Calls reserved in the window. */
    calls: integer('calls').notNull().default(0),
    /** Tokens: estimates while reserved, actual once settled. */
    tokens: bigint('tokens', { mode: 'number' }).notNull().default(0),
    /** Limits held by the row itself (runs); other scopes pass their limits with each reservation. */
    limitMicros: bigint('limit_micros', { mode: 'number' }),
    limitCalls: integer('limit_calls'),
    limitTokens: bigint('limit_tokens', { mode: 'number' }),
    limitDepth: integer('limit_depth'),
    limitWallMs: bigint('limit_wall_ms', { mode: 'number' }),
    /** First reservation in the window (a run tree's start, for its wall-time limit). */
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ name: 'budget_counters_pkey', columns: [table.scope, table.windowStart] })],
);

export const ledgerStates = ['reserved', 'settled', 'released'] as const;
export type LedgerState = (typeof ledgerStates)[number];

/**
 * Who closed an entry when it was not its own call in time. `sweeper`: a reservation left
 * `reserved` past its expiry (its instance crashed, or settling failed for longer than it was
 * retried); with state `settled` the sweeper settled it at the usage its call's span recorded, with
 * `released` there was no span (or it recorded no usage) and the reservation was given back.
 * `late_call`: the sweeper had released it, then its call finished and settled it after all. See
 * `gantry_sweep` and `gantry_settle` in drizzle/0003_reservation_sweeper.sql.
 */
export const ledgerClosers = ['sweeper', 'late_call'] as const;
export type LedgerCloser = (typeof ledgerClosers)[number];

/** One call's money: reserved before it, then settled with the actual cost or released. */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    /** The call's span id (a UUIDv7 from `newId()`); no default: an entry always names its call. */
    id: text('id').primaryKey(),
    state: text('state').$type<LedgerState>().notNull(),
    apiKeyId: text('api_key_id'),
    teamId: text('team_id'),
    /** The customer's external id as sent on the request. */
    customerId: text('customer_id'),
    runId: text('run_id'),
    rootRunId: text('root_run_id'),
    runName: text('run_name'),
    model: text('model'),
    /** The counters this entry reserved on: `[{scope, window}]`. */
    scopes: jsonb('scopes').$type<{ scope: string; window: string }[]>().notNull().default([]),
    /** Worst-case estimate reserved, in micro-dollars. */
    reservedMicros: bigint('reserved_micros', { mode: 'number' }).notNull().default(0),
    /** Actual cost once settled (0 when released), in micro-dollars. */
    settledMicros: bigint('settled_micros', { mode: 'number' }).notNull().default(0),
    reservedTokens: bigint('reserved_tokens', { mode: 'number' }).notNull().default(0),
    settledTokens: bigint('settled_tokens', { mode: 'number' }).notNull().default(0),
    createdAt: timestamptz('created_at').notNull(),
    settledAt: timestamptz('settled_at'),
    /** Null when the call settled or released its own entry in time; else who closed it (see {@link ledgerClosers}). */
    settledBy: text('settled_by').$type<LedgerCloser>(),
    /**
     * Set only when a middleware answered the call without a provider (a response-cache hit): what a
     * provider would have cost, in micro-dollars (0 for an unpriced answer). `settled_micros` is what
     * the hit was charged (`cache.hit_charge` of this). Null for every other call.
     */
    savedMicros: bigint('saved_micros', { mode: 'number' }),
  },
  (table) => [
    index('ledger_entries_created_at_idx').on(table.createdAt),
    index('ledger_entries_api_key_id_state_idx').on(table.apiKeyId, table.state),
    index('ledger_entries_root_run_id_idx').on(table.rootRunId),
    // Only open reservations, oldest first: what the sweeper looks for, without reading the settled past.
    index('ledger_entries_reserved_created_at_idx').on(table.createdAt).where(sql`${table.state} = 'reserved'`),
  ],
);

export type Budget = typeof budgets.$inferSelect;
export type NewBudget = typeof budgets.$inferInsert;
export type BudgetCounter = typeof budgetCounters.$inferSelect;
export type LedgerEntry = typeof ledgerEntries.$inferSelect;

/**
 * One instance's standing hold on a counter (a lease): headroom taken from the counter once, then
 * drawn on by that instance's calls in memory, so that calls far from a limit need no round trip.
 * Counted in the counter's `reserved_micros`, `calls` and `tokens` like a reservation. Written only
 * by `gantry_lease` / `gantry_lease_sync` (drizzle/0001_budget_leases.sql); see
 * docs/decisions/0006-budget-leases.md.
 */
export const budgetLeases = pgTable(
  'budget_leases',
  {
    scope: text('scope').notNull(),
    windowStart: timestamptz('window_start').notNull(),
    /** The gateway instance holding it (random per process). */
    instanceId: text('instance_id').notNull(),
    heldMicros: bigint('held_micros', { mode: 'number' }).notNull().default(0),
    heldCalls: integer('held_calls').notNull().default(0),
    heldTokens: bigint('held_tokens', { mode: 'number' }).notNull().default(0),
    /** Past this, any instance touching the counter takes the hold back (its holder is presumed gone). */
    expiresAt: timestamptz('expires_at').notNull(),
  },
  (table) => [primaryKey({ name: 'budget_leases_pkey', columns: [table.scope, table.windowStart, table.instanceId] })],
);
