import { index, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/**
 * The guardrails' pseudonyms (`@gantry/guardrails`): per run tree, each personal value the gateway
 * replaced and the placeholder that stood for it, so every call of the run (and its sub-runs), on
 * any instance, uses the same placeholder and answers can be restored. The value is kept only
 * encrypted (AES-256-GCM with the configured key); rows are found by a keyed hash of the value
 * and swept after `expires_at`.
 */
export const pseudonyms = pgTable(
  'pseudonyms',
  {
    rootRunId: text('root_run_id').notNull(),
    /** HMAC-SHA-256 (configured key) of the detector and the value: finds a value without storing it. */
    valueHash: text('value_hash').notNull(),
    detector: text('detector').notNull(),
    placeholder: text('placeholder').notNull(),
    /** `base64(iv ‖ tag ‖ ciphertext)` of the value. */
    valueSealed: text('value_sealed').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.rootRunId, table.valueHash] }),
    uniqueIndex('pseudonyms_placeholder_idx').on(table.rootRunId, table.placeholder),
    index('pseudonyms_expires_at_idx').on(table.expiresAt),
  ],
);

export type PseudonymRow = typeof pseudonyms.$inferSelect;
export type NewPseudonymRow = typeof pseudonyms.$inferInsert;
