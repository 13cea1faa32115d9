import type { MigrationConfig } from 'drizzle-orm/migrator';
import type { GantryDb } from './gantry-db.ts';

/** A place where migrations may run exclusively, with drizzle's `migrate()` for the driver in use. */
export interface MigrationSession {
  db: GantryDb;
  applyMigrations(config: MigrationConfig): Promise<void>;
}

/**
 * Runs `work` in a `MigrationSession` (for Postgres: one connection holding the migration advisory
 * lock for the duration).
 */
export type MigrationRunner = <T>(work: (session: MigrationSession) => Promise<T>) => Promise<T>;

/** What `migrate()` needs from a `Database` that is not part of its public surface. */
export interface DatabaseInternals {
  runMigrations: MigrationRunner;
  setHasVector(value: boolean): void;
  /** Tail of this database's in-process migration queue. */
  migrationQueue?: Promise<unknown>;
}

const internalsByDatabase = new WeakMap<object, DatabaseInternals>();

export function registerDatabaseInternals(database: object, internals: DatabaseInternals): void {
  internalsByDatabase.set(database, internals);
}

export function getDatabaseInternals(database: object): DatabaseInternals {
  const internals = internalsByDatabase.get(database);
  if (internals === undefined) {
    throw new Error('not a Database made by createDatabase(): open it with createDatabase() first');
  }
  return internals;
}
