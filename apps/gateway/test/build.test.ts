import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** What `pnpm start` runs; vitest's global setup built it (test/support/built-gateway.ts). */
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

/** Every module specifier a built file imports, statically or dynamically. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(dist, file), 'utf8');
  const statements = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*"([^"\n]+)"|^import\s*"([^"\n]+)"/gm)];
  const dynamic = [...text.matchAll(/\bimport\("([^"\n]+)"\)/g)];
  return [...statements, ...dynamic].map((match) => (match[1] ?? match[2])!);
}

describe('the gateway build (apps/gateway/dist)', () => {
  const files = readdirSync(dist).filter((name) => name.endsWith('.mjs'));

  it('imports each npm package from the file Node resolves for it, relative to dist, and bundles every @gantry package', () => {
    expect(files).toContain('main.mjs');
    const specifiers = files.flatMap(importsOf);
    const packages = specifiers.filter((specifier) => specifier.includes('/node_modules/'));
    expect(packages.length).toBeGreaterThan(10);
    for (const specifier of specifiers) {
      if (specifier.startsWith('node:')) continue;
      // Relative, and there: never a bare name that would resolve from dist/ rather than from the importing package.
      expect(specifier, specifier).toMatch(/^\.\.?\//);
      expect(existsSync(join(dist, specifier)), specifier).toBe(true);
      expect(specifier).not.toContain('@gantry/');
    }
    // fastify is one instance, imported, not a second copy pasted into the bundle.
    expect(packages.some((specifier) => specifier.endsWith('/node_modules/fastify/fastify.js'))).toBe(true);
    expect(readFileSync(join(dist, 'main.mjs'), 'utf8')).not.toContain('function fastify(');
  });

  it('finds the files a workspace module keeps beside itself (workers, migrations) where they are in the source tree', () => {
    const text = files.map((file) => readFileSync(join(dist, file), 'utf8')).join('\n');
    const located = [...text.matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)].map((match) => match[1]!);
    expect(located).toContain('../../../packages/db/src/create-database.ts');
    for (const path of located) expect(existsSync(join(dist, path)), path).toBe(true);
    expect(existsSync(join(dist, '../../../packages/db/src/pglite-worker.mjs'))).toBe(true);
  });
});
