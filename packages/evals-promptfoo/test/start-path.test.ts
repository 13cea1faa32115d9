import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * promptfoo stays out of the gateway's start path: following the static imports (not `import
 * type`, not `import()`) from apps/gateway/src/main.ts never reaches this package or promptfoo.
 * The CLI reaches `gantry eval run`'s command file, which loads this package only when it runs.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HERE = path.join(ROOT, 'packages/evals-promptfoo');

/** Workspace package names → their `exports` map resolved to files. */
function workspaceExports(): Map<string, Record<string, string>> {
  const packages = new Map<string, Record<string, string>>();
  for (const group of ['packages', 'apps']) {
    for (const entry of readdirSync(path.join(ROOT, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const folder = path.join(ROOT, group, entry.name);
      let manifest: { name?: string; exports?: Record<string, string> };
      try {
        manifest = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')) as typeof manifest;
      } catch {
        continue;
      }
      if (manifest.name === undefined || manifest.exports === undefined) continue;
      packages.set(manifest.name, Object.fromEntries(Object.entries(manifest.exports).map(([key, file]) => [key, path.join(folder, file)])));
    }
  }
  return packages;
}

/** The specifiers of a module's static value imports and re-exports. */
function staticImports(source: string): string[] {
  const specifiers: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?([^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const match of source.matchAll(statement)) {
    if (match[2] !== undefined) continue; // `import type` / `export type`: erased
    if (match[1] === 'export' && match[3] === undefined) continue;
    specifiers.push(match[4]!);
  }
  return specifiers;
}

/** Every file and outside package reached from `entry` by static imports. */
function reach(entry: string): { files: Set<string>; packages: Set<string> } {
  const workspace = workspaceExports();
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of staticImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) {
        queue.push(path.resolve(path.dirname(file), specifier));
        continue;
      }
      const [scope, name, ...rest] = specifier.split('/');
      const packageName = scope!.startsWith('@') ? `${scope}/${name}` : scope!;
      const subpath = scope!.startsWith('@') ? rest : [name, ...rest].filter((part) => part !== undefined);
      const exports = workspace.get(packageName);
      const target = exports?.[subpath.length === 0 ? '.' : `./${subpath.join('/')}`];
      if (target !== undefined) queue.push(target);
      else packages.add(packageName);
    }
  }
  return { files, packages };
}

describe('the gateway start path', () => {
  it('does not reach @gantry/evals-promptfoo or promptfoo from apps/gateway/src/main.ts', () => {
    const { files, packages } = reach(path.join(ROOT, 'apps/gateway/src/main.ts'));
    // The walk follows the workspace: it reaches the call pipeline and the server's own packages.
    expect(files).toContain(path.join(ROOT, 'packages/calls/src/call-chat.ts'));
    expect(packages).toContain('fastify');
    expect([...files].filter((file) => file.startsWith(HERE))).toEqual([]);
    expect(packages).not.toContain('promptfoo');
    expect(packages).not.toContain('@gantry/evals-promptfoo');
  });

  it('reaches `gantry eval run` from the CLI, which loads this package only when the command runs', () => {
    const { files, packages } = reach(path.join(ROOT, 'apps/gateway/src/cli.ts'));
    expect(files).toContain(path.join(ROOT, 'apps/gateway/src/cli/eval-run-command.ts'));
    expect([...files].filter((file) => file.startsWith(HERE))).toEqual([]);
    expect(packages).not.toContain('promptfoo');
    const command = readFileSync(path.join(ROOT, 'apps/gateway/src/cli/eval-run-command.ts'), 'utf8');
    expect(command).toContain("await import('@gantry/evals-promptfoo')");
  });

  it('would see a static import of this package (the walk is not blind to it)', () => {
    expect(staticImports("import { runSuite } from '@gantry/evals-promptfoo';\nimport type { X } from 'promptfoo';\nexport { a } from './a.ts';")).toEqual(['@gantry/evals-promptfoo', './a.ts']);
    expect(staticImports("const m = await import('@gantry/evals-promptfoo');")).toEqual([]);
  });
});
