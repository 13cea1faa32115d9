import { jsonb, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { timestamps } from './columns.ts';
import { newId } from '../new-id.ts';

/**
 * End users of a team's product, named on requests by the OpenAI `user` field or the
 * `x-gantry-customer-id` header (`externalId`). A customer without a team matches callers of any team.
 */
export const customers = pgTable(
  'customers',
  {
    /** UUIDv7 from `newId()`, filled in on insert when the row has none. */
    id: text('id').primaryKey().$defaultFn(newId),
    /** The id the team's product sends (`user` / `x-gantry-customer-id`). */
    externalId: text('external_id').notNull(),
    teamId: text('team_id'),
    name: text('name'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps,
  },
  (table) => [unique('customers_team_id_external_id_key').on(table.teamId, table.externalId).nullsNotDistinct()],
);

export type Customer = typeof customers.$inferSelect;
export type NewCustomer = typeof customers.$inferInsert;
