import { defineConfig } from 'drizzle-kit';

// Paths are relative to the repository root: run through `pnpm db:generate` from there.
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/db/src/schema/index.ts',
  out: './drizzle',
  migrations: { table: '__drizzle_migrations', schema: 'drizzle' },
});
