import { defineConfig } from 'drizzle-kit';

// Migrations for tables that need pgvector, kept apart from the main ones (own folder, own
// migrations table) because they are applied only where the extension is available.
// Paths are relative to the repository root:
//   pnpm exec drizzle-kit generate --config packages/db/drizzle-vector.config.ts
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/db/src/schema/vector/index.ts',
  out: './drizzle/vector',
  migrations: { table: '__drizzle_migrations_vector' },
});
