import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, MATRIX, PROVIDERS, type TestRef } from './matrix.ts';
import { DOC_FILE, DOC_URL, REGENERATE, renderMatrix } from './render-matrix.ts';

/** Keeps docs/providers.md, matrix.ts and the tests it names from drifting apart. */

const ROOT = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, ROOT), 'utf8');

/** A JavaScript string literal's content, unescaped (enough for test titles). */
const unescape = (literal: string) => literal.replace(/\\(.)/g, '$1');

/** The titles of `it(…)` / `test(…)` calls (not `.skip`, `.todo`, `.each`) in a source file. */
function testTitles(source: string): string[] {
  return [...source.matchAll(/(?<![\w.])(?:it|test)\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)].map((match) => unescape(match[2]!));
}

/** The names of `describe(…)` and `describe.each(…)(…)` blocks in a source file; templates keep their `%s` / `$x`. */
function describeTitles(source: string): string[] {
  return [...source.matchAll(/(?<![\w.])describe(?:\.each\([^)]*\))?\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)].map((match) => unescape(match[2]!));
}

/** Whether a describe name as vitest prints it comes from this title, a describe.each template included. */
function describeMatches(title: string, name: string): boolean {
  const pattern = title
    .split(/(%[sdifjo#%]|\$[\w.]+)/)
    .map((piece, index) => (index % 2 === 1 ? (piece === '%%' ? '%' : '.+') : piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}$`).test(name);
}

const refs: TestRef[] = MATRIX.flatMap((cell) => (cell.status === 'untestable' ? [] : [cell.test, ...(cell.also ?? [])]));

describe('the provider conformance matrix', () => {
  it('is what docs/providers.md says, word for word', () => {
    const rendered = renderMatrix();
    let written = '';
    try {
      written = readFileSync(DOC_URL, 'utf8');
    } catch {
      // missing: the comparison below says how to write it
    }
    expect(written, `${DOC_FILE} is not the rendering of test/conformance/matrix.ts; run \`${REGENERATE}\``).toBe(rendered);
  });

  it('has exactly one cell for every provider × capability pair', () => {
    const expected = PROVIDERS.flatMap((provider) => CAPABILITIES.map((capability) => `${provider.id} × ${capability.id}`));
    const actual = MATRIX.map((cell) => `${cell.provider} × ${cell.capability}`);
    expect([...actual].sort(), 'matrix.ts must have one cell per pair, no more').toEqual([...expected].sort());
  });

  it('gives a reason for every cell that is not a plain yes', () => {
    for (const cell of MATRIX) {
      if (cell.status !== 'yes') expect(cell.note ?? '', `${cell.provider} × ${cell.capability} is ${cell.status}: say why in note`).toMatch(/\S/);
    }
  });

  it('names only test files the suite runs', () => {
    for (const ref of refs) expect(ref.file, ref.name).toMatch(/^(?:test|packages\/[^/]+\/test|apps\/[^/]+\/test)\/.+\.test\.ts$/);
  });

  it('names tests that exist under that name: an it()/test() title in the file, inside describe blocks of those names', () => {
    const problems: string[] = [];
    for (const ref of refs) {
      let source: string;
      try {
        source = read(ref.file);
      } catch {
        problems.push(`${ref.file}: no such file (named by "${ref.name}")`);
        continue;
      }
      const segments = ref.name.split(' > ');
      const title = segments.pop()!;
      if (!testTitles(source).includes(title)) problems.push(`${ref.file}: no it()/test() titled "${title}"`);
      const describes = describeTitles(source);
      for (const segment of segments) {
        if (!describes.some((describeTitle) => describeMatches(describeTitle, segment))) problems.push(`${ref.file}: no describe block named "${segment}"`);
      }
    }
    expect(problems, 'a test named in test/conformance/matrix.ts was renamed, moved or removed: update matrix.ts, then run the renderer').toEqual([]);
  });

  it('uses every test of test/e2e/conformance-*.test.ts for some cell', () => {
    const named = new Set(refs.map((ref) => `${ref.file}: ${ref.name.split(' > ').at(-1)}`));
    const unused: string[] = [];
    for (const file of readdirSync(new URL('test/e2e/', ROOT)).filter((name) => /^conformance-.+\.test\.ts$/.test(name))) {
      for (const title of testTitles(read(`test/e2e/${file}`))) {
        if (!named.has(`test/e2e/${file}: ${title}`)) unused.push(`test/e2e/${file}: ${title}`);
      }
    }
    expect(unused, 'conformance tests exist to back cells of test/conformance/matrix.ts').toEqual([]);
  });
});

describe('the conformance checks themselves', () => {
  it('find it() titles with any quote and escapes, and skip it.skip and it.todo', () => {
    const source = ["it('plain', f);", 'it("it\'s double", f);', "it('it\\'s single', f);", 'it(`back`, f);', "it.skip('skipped', f);", "it.todo('later');", "submit('not a test');"].join('\n');
    expect(testTitles(source)).toEqual(['plain', "it's double", "it's single", 'back']);
  });

  it('match describe.each names to their templates and nothing else', () => {
    const describes = describeTitles("describe.each(['a', 'b'])('upstream %s', () => {});\ndescribe('fixed > no', () => {});");
    expect(describes).toEqual(['upstream %s', 'fixed > no']);
    expect(describeMatches('upstream %s', 'upstream claude')).toBe(true);
    expect(describeMatches('upstream %s', 'downstream claude')).toBe(false);
    expect(describeMatches('a (b)', 'a (b)')).toBe(true);
    expect(describeMatches('a (b)', 'a b')).toBe(false);
  });
});
