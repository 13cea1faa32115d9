import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * What `pnpm start` runs: builds the gateway of the checkout at `root` (apps/gateway/scripts/build.mjs)
 * and returns its entry, `apps/gateway/dist/main.mjs`. A checkout from before the build existed has
 * no build script: its TypeScript entry is returned, to be run with tsx.
 */
export function builtGateway(root = repoRoot): string {
  const script = join(root, 'apps/gateway/scripts/build.mjs');
  if (!existsSync(script)) return join(root, 'apps/gateway/src/main.ts');
  execFileSync(process.execPath, [script], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  return join(root, 'apps/gateway/dist/main.mjs');
}

/** Vitest's global setup: one build before any test file starts a gateway process. */
export function setup(): void {
  builtGateway();
}
