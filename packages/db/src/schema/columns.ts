import { timestamp } from 'drizzle-orm/pg-core';

/**
 * A `timestamptz` column read and written as a JS `Date`. Every time in Gantry's schema goes through
 * here so that no column is accidentally `timestamp without time zone`.
 */
export function timestamptz(name: string) {
  return timestamp(name, { withTimezone: true, mode: 'date' });
}

/**
 * Row bookkeeping shared by the mutable (non hot-path) tables: spread into a table's columns.
 * `updated_at` is refreshed by drizzle on every `update()` issued through it.
 */
export const timestamps = {
  /** When the row was inserted. */
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  /** When the row was last updated through drizzle. */
  updatedAt: timestamptz('updated_at')
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date()),
};
