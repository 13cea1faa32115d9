import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Two cores here; each e2e file starts its own gateway, mock provider and PGlite.
    maxWorkers: 2,
    // Tests that start the gateway as a process run what `pnpm start` runs: the build in apps/gateway/dist.
    globalSetup: ['test/support/built-gateway.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
