import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { MigrationConfig } from 'drizzle-orm/migrator';
import type { Database } from './create-database.ts';
import { getDatabaseInternals, type MigrationSession } from './database-internals.ts';
import type { GantryDb } from './gantry-db.ts';

/** The repository's top-level drizzle/ folder, found from this file rather than the cwd. */
const migrationsFolder = fileURLToPath(new URL('../../../drizzle', import.meta.url));
const vectorMigrationsFolder = fileURLToPath(new URL('../../../drizzle/vector', import.meta.url));

const mainMigrations: MigrationConfig = {
  migrationsFolder,
  migrationsTable: '__drizzle_migrations',
  migrationsSchema: 'drizzle',
};
const vectorMigrations: MigrationConfig = {
  migrationsFolder: vectorMigrationsFolder,
  migrationsTable: '__drizzle_migrations_vector',
  migrationsSchema: 'drizzle',
};

export interface MigrateResult {
  /** Whether pgvector is installed after migrating (and so the vector migrations were applied). */
  hasVector: boolean;
}

/**
 * Brings the schema up to date: the migrations in drizzle/, then those in drizzle/vector/ where the
 * server offers the pgvector extension. Idempotent; safe to call from several processes at once
 * against one Postgres (serialized by an advisory lock) and several times concurrently in one
 * process. Sets `database.hasVector`.
 */
export async function migrate(database: Database): Promise<MigrateResult> {
  const internals = getDatabaseInternals(database);
  const previous = internals.migrationQueue ?? Promise.resolve();
  const run = previous
    .catch(() => {})
    .then(() => internals.runMigrations(applyAllMigrations));
  internals.migrationQueue = run;
  const result = await run;
  internals.setHasVector(result.hasVector);
  return result;
}

async function applyAllMigrations(session: MigrationSession): Promise<MigrateResult> {
  await session.applyMigrations(mainMigrations);
  if (await isVectorAvailable(session.db)) {
    await session.applyMigrations(vectorMigrations);
  }
  return { hasVector: await isVectorInstalled(session.db) };
}

async function isVectorAvailable(db: GantryDb): Promise<boolean> {
  const result = await db.execute(sql`select 1 from pg_available_extensions where name = 'vector'`);
  return result.rows.length > 0;
}

async function isVectorInstalled(db: GantryDb): Promise<boolean> {
  const result = await db.execute(sql`select 1 from pg_extension where extname = 'vector'`);
  return result.rows.length > 0;
}
