import { jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamps } from './columns.ts';
import { newId } from '../new-id.ts';
import type { CallerLimits } from './limits.ts';

/** Teams own keys and customers; budgets and rate limits may apply to a whole team. */
export const teams = pgTable(
  'teams',
  {
    /** UUIDv7 from `newId()`, filled in on insert when the row has none. */
    id: text('id').primaryKey().$defaultFn(newId),
    name: text('name').notNull(),
    /** Rate limits shared by the team's keys, and run defaults for its keys. */
    limits: jsonb('limits').$type<CallerLimits>().notNull().default({}),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps,
  },
  (table) => [uniqueIndex('teams_name_idx').on(table.name)],
);

export type Team = typeof teams.$inferSelect;
export type NewTeam = typeof teams.$inferInsert;
