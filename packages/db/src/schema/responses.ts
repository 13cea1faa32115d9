import { boolean, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/**
 * Responses API state (`/v1/responses`): each response Gantry returned, under the id the client
 * got, so `previous_response_id`, `item_reference` and `GET /v1/responses/:id` work on the next
 * request from any instance. Written before the response's last byte leaves. Owned by a team
 * (or, for keys without a team, by the key); other teams are told it does not exist.
 */
export const responses = pgTable(
  'responses',
  {
    /** `resp_…`, minted by Gantry (whatever provider answered). */
    id: text('id').primaryKey(),
    apiKeyId: text('api_key_id'),
    teamId: text('team_id'),
    /** The run the response was recorded in: a chain of `previous_response_id` is one run. */
    runId: text('run_id').notNull(),
    previousResponseId: text('previous_response_id'),
    /**
     * False when the request said `store: false`: the row keeps only the id, owner and run, so a
     * later reference is told that it was not stored rather than that it never existed.
     */
    stored: boolean('stored').notNull(),
    /** The Response as returned (wire JSON, reasoning `encrypted_content` kept); null when not stored. */
    response: jsonb('response').$type<Record<string, unknown>>(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (table) => [index('responses_run_id_idx').on(table.runId)],
);

export type ResponseRow = typeof responses.$inferSelect;
export type NewResponseRow = typeof responses.$inferInsert;

/**
 * The items of stored responses, in conversation order: first the turn's input items (with the
 * ids Gantry gave those sent without one), then its output items. One row per item so that
 * `item_reference` finds an item by id and `input_items` pages through a turn's input.
 */
export const responseItems = pgTable(
  'response_items',
  {
    responseId: text('response_id').notNull(),
    /** 0, 1, 2 … over the turn's input items, then its output items. */
    position: integer('position').notNull(),
    /** The item's own id (`msg_…`, `fc_…`, `rs_…`, or the client's). Not unique: a client may send an earlier output item again. */
    itemId: text('item_id').notNull(),
    output: boolean('output').notNull(),
    teamId: text('team_id'),
    apiKeyId: text('api_key_id'),
    item: jsonb('item').$type<Record<string, unknown>>().notNull(),
  },
  (table) => [primaryKey({ columns: [table.responseId, table.position] }), index('response_items_item_id_idx').on(table.itemId)],
);

export type ResponseItemRow = typeof responseItems.$inferSelect;
export type NewResponseItemRow = typeof responseItems.$inferInsert;
