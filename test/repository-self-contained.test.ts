import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Folders that are not the repository's own text: installs, data, and verbatim recordings. */
const SKIPPED = new Set(['node_modules', '.git', '.gantry', 'fixtures']);
/** Written by tools, with paths relative to other folders than their own (pnpm's links between workspace packages). */
const GENERATED = new Set(['pnpm-lock.yaml']);
const TEXT = /\.(ts|mts|mjs|js|json|jsonc|ya?ml|sh|md|sql)$|^(run|Dockerfile)$/;

function* repositoryFiles(directory: string): Generator<string> {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) yield* repositoryFiles(full);
    else if (entry.isFile() && TEXT.test(entry.name) && !GENERATED.has(entry.name) && statSync(full).size < 2_000_000) yield full;
  }
}

/** `../`-relative paths in a file's text that leave the repository, and absolute paths into this machine's work folders. */
export function outsideReferences(file: string, text: string, root = ROOT): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?<![\w/.])((?:\.\.\/)+)([\w@.-][\w@./-]*)/g)) {
    const target = path.resolve(path.dirname(file), match[1]! + match[2]!);
    if (path.relative(root, target).startsWith('..')) found.push(match[0]);
  }
  for (const match of text.matchAll(/\/work\/(?:shared|main|\.library)\b[\w./-]*/g)) found.push(match[0]);
  return found;
}

describe('the repository', () => {
  it('refers to no path outside itself, so a clean clone is all the tests need', () => {
    const offenders: string[] = [];
    for (const file of repositoryFiles(ROOT)) {
      for (const reference of outsideReferences(file, readFileSync(file, 'utf8'))) offenders.push(`${path.relative(ROOT, file)}: ${reference}`);
    }
    expect(offenders).toEqual([]);
  });

  it('catches a reference to a folder beside the repository, and lets one inside pass', () => {
    const file = path.join(ROOT, 'packages/formats/test/load-fixture.ts');
    // Built from parts, so this file does not name such paths itself.
    const beside = `${'../'.repeat(4)}shared/wire-fixtures/`;
    expect(outsideReferences(file, `new URL('${beside}', import.meta.url)`)).toEqual([beside]);
    expect(outsideReferences(file, `new URL('${'../'.repeat(3)}test/fixtures/wire/', import.meta.url)`)).toEqual([]);
    const absolute = `/${'work'}/shared/wire-fixtures/openai`;
    expect(outsideReferences(file, `read ${absolute}`)).toEqual([absolute]);
  });
});
