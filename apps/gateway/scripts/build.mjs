/**
 * Builds what `pnpm start` runs: the gateway's TypeScript (every `@gantry/*` package) bundled into
 * `apps/gateway/dist/`, so that the server needs no TypeScript loader at run time (tsx costs a
 * loader thread, a source-map cache and ~50 MiB of memory; see docs/decisions/0014). npm packages stay
 * external, each imported by its resolved file relative to dist/, so that every one is the same file
 * (and the same module instance) Node would load for the package that depends on it. A workspace
 * file's `import.meta.url` keeps pointing at that file, so the workers, migrations and console
 * sources it finds beside itself are found as they are when run from source. Takes about a
 * second; `pnpm start` runs it every time, so dist/ is never older than the source. Gateways already
 * running from dist/ are safe: a file whose content is unchanged is not written, a changed one is
 * replaced by a rename (never seen half-written), and `main.mjs` last, after the chunks it imports.
 */
import { builtinModules } from 'node:module';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const gatewayDir = fileURLToPath(new URL('..', import.meta.url));
export const outdir = fileURLToPath(new URL('../dist/', import.meta.url));
const workspaceRoot = fileURLToPath(new URL('../../..', import.meta.url));
const builtins = new Set(builtinModules);
const posix = (path) => path.split('\\').join('/');
/** `path` as an import specifier from a file in dist/. */
const fromDist = (path) => {
  const specifier = posix(relative(outdir, path));
  return specifier.startsWith('.') ? specifier : `./${specifier}`;
};

/** @type {import('esbuild').Plugin} */
const layout = {
  name: 'gantry-layout',
  setup(bundle) {
    bundle.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.resolving || args.path.startsWith('@gantry/')) return undefined;
      if (args.path.startsWith('node:') || builtins.has(args.path)) return { path: args.path, external: true };
      const found = await bundle.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { resolving: true } });
      // Not installed (an optional dependency left out): left as it is, to fail where it is imported, as from source.
      if (found.errors.length > 0) return { path: args.path, external: true };
      return { path: fromDist(found.path), external: true };
    });
    bundle.onLoad({ filter: /\.m?[jt]s$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const source = await readFile(args.path, 'utf8');
      // Where this file sits, from wherever its bundled copy is loaded.
      const here = `new URL(${JSON.stringify(fromDist(args.path))}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', here), loader: args.path.endsWith('ts') ? 'ts' : 'js', resolveDir: dirname(args.path) };
    });
  },
};

/** Bundles the gateway into dist/; resolves when it is written. */
export async function buildGateway() {
  const { outputFiles } = await build({
    write: false,
    absWorkingDir: workspaceRoot,
    entryPoints: { main: `${gatewayDir}src/main.ts` },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    // Optional parts (OTel export, Inngest, the eval runner) are imported when configured, not at start.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Resolve npm packages as Node does: no `module` condition, no `module` field.
    conditions: [],
    mainFields: ['main'],
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    plugins: [layout],
  });
  await mkdir(outdir, { recursive: true });
  const entry = (file) => file.path.endsWith('/main.mjs');
  for (const file of [...outputFiles.filter((file) => !entry(file)), ...outputFiles.filter(entry)]) {
    const current = await readFile(file.path).catch(() => undefined);
    if (current !== undefined && Buffer.compare(current, file.contents) === 0) continue;
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildGateway();
