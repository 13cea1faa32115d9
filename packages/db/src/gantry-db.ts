import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { apiKeys, apiKeysRelations } from './schema/api-keys.ts';
import { budgetCounters, budgets, ledgerEntries } from './schema/budgets.ts';
import { customers } from './schema/customers.ts';
import { runs, runsRelations } from './schema/runs.ts';
import { spans, spansRelations } from './schema/spans.ts';
import { teams } from './schema/teams.ts';

/** Every table and relation, as handed to drizzle (enables `db.query.<table>`). */
export const schema = {
  apiKeys,
  apiKeysRelations,
  runs,
  runsRelations,
  spans,
  spansRelations,
  teams,
  customers,
  budgets,
  budgetCounters,
  ledgerEntries,
};

export type GantryDbSchema = typeof schema;

/**
 * What `db.execute()` resolves to on either driver: both node-postgres' `QueryResult` and PGlite's
 * `Results` carry the rows in `rows`.
 */
export interface GantryQueryResultHKT extends PgQueryResultHKT {
  readonly type: GantryQueryResult<this['row']>;
}

/** The part of a raw query result both drivers share. */
export interface GantryQueryResult<TRow> {
  rows: TRow[];
}

/**
 * The drizzle database type both drivers (PGlite and node-postgres) satisfy, and so does a
 * transaction opened from it: write queries once against this.
 */
export type GantryDb = PgDatabase<GantryQueryResultHKT, GantryDbSchema>;
