import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CAPABILITIES, MATRIX, PROVIDERS, type Cell, type TestRef } from './matrix.ts';

/**
 * Renders docs/providers.md from matrix.ts.
 *   pnpm tsx test/conformance/render-matrix.ts           # print it
 *   pnpm tsx test/conformance/render-matrix.ts --write   # write docs/providers.md
 */

export const DOC_FILE = 'docs/providers.md';
export const DOC_URL = new URL('../../docs/providers.md', import.meta.url);
export const REGENERATE = 'pnpm tsx test/conformance/render-matrix.ts --write';

const SYMBOL: Record<Cell['status'], string> = { yes: '✓', partial: 'partial', no: 'no', untestable: '—' };

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

/** A path from the repository root, as a link from docs/. */
const link = (file: string) => `../${file}`;
const testName = (ref: TestRef) => `\`${ref.name}\``;
const testLine = (ref: TestRef) => `[${ref.file.split('/').at(-1)}](${link(ref.file)}): ${testName(ref)}`;

function cellOf(provider: string, capability: string): Cell {
  const cell = MATRIX.find((candidate) => candidate.provider === provider && candidate.capability === capability);
  if (cell === undefined) throw new Error(`matrix.ts has no cell for ${provider} × ${capability}`);
  return cell;
}

function tableCell(cell: Cell): string {
  const symbol = SYMBOL[cell.status];
  if (cell.status === 'untestable') return symbol;
  const title = cell.test.name.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\|/g, '\\|');
  return `[${symbol}](${link(cell.test.file)} "${title}")${cell.note === undefined ? '' : '*'}`;
}

function cellLines(cell: Cell, providerLabel: string): string[] {
  const head = `- **${providerLabel}** ${SYMBOL[cell.status]}`;
  if (cell.status === 'untestable') return [`${head} — ${cell.note}`];
  const lines = [`${head} — ${testLine(cell.test)}`];
  for (const ref of cell.also ?? []) lines.push(`  - also ${testLine(ref)}`);
  if (cell.note !== undefined) lines.push(`  - *${cell.note}*`);
  return lines;
}

export function renderMatrix(): string {
  const out: string[] = [
    '# Provider conformance',
    '',
    '<!-- Generated from test/conformance/matrix.ts by test/conformance/render-matrix.ts. Do not edit by hand. -->',
    '',
    'What each provider `type` of gantry.yaml does behind Gantry, capability by capability. Every cell',
    'names the test that proves it, and those tests run with the rest of the suite: a capability that',
    'breaks fails CI, and so does this page falling out of step with the tests.',
    '',
    '## How to read it',
    '',
    '- **Columns** are provider types. `openai` and `openai-compatible` share one adapter, so one column.',
    '- **✓** supported, and the linked test shows it. **partial**: supported in part; the note says what is',
    '  missing. **no**: the provider cannot do it, and the test shows the request is refused cleanly (400',
    '  naming the provider). **—**: cannot be tested, for the reason given. A `*` marks a cell with a note.',
    '- A cell links to its test file; hover for the test’s name. [Tests by capability](#tests-by-capability)',
    '  lists every cell’s test by name (describe blocks and title, as vitest prints it), with its notes.',
    '- Tests under `test/e2e/` are end to end: the real gateway with the official OpenAI or Anthropic SDK',
    '  as the client and the mock provider (`test/mock-provider/`) as the upstream, speaking each',
    '  provider’s own wire. Tests under `packages/*/test/` replay recorded provider traffic through a codec.',
    '',
    '## How it is checked',
    '',
    'This page is rendered from `test/conformance/matrix.ts` by `test/conformance/render-matrix.ts`.',
    '`test/conformance/conformance-matrix.test.ts` fails when this page differs from the rendering, when a',
    'named test is no longer an `it(…)`/`test(…)` of that name in its file, when a provider × capability',
    'pair has no cell, or when a `test/e2e/conformance-*.test.ts` test backs no cell. After changing the',
    `matrix, run \`${REGENERATE}\`.`,
    '',
    '## Capabilities',
    '',
    '| Capability | Meaning |',
    '|---|---|',
    ...CAPABILITIES.map((capability) => `| ${capability.label} | ${capability.meaning} |`),
    '',
    '## Matrix',
    '',
    `| Capability | ${PROVIDERS.map((provider) => provider.label).join(' | ')} |`,
    `|---|${PROVIDERS.map(() => ':-:').join('|')}|`,
    ...CAPABILITIES.map(
      (capability) =>
        `| [${capability.label}](#${headingAnchor(capability.label)}) | ${PROVIDERS.map((provider) => tableCell(cellOf(provider.id, capability.id))).join(' | ')} |`,
    ),
    '',
    '## Tests by capability',
  ];
  for (const capability of CAPABILITIES) {
    out.push('', `### ${capability.label}`, '', capability.meaning, '');
    for (const provider of PROVIDERS) out.push(...cellLines(cellOf(provider.id, capability.id), provider.label));
  }
  return `${out.join('\n')}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--write')) {
    writeFileSync(DOC_URL, renderMatrix());
    process.stderr.write(`wrote ${fileURLToPath(DOC_URL)}\n`);
  } else process.stdout.write(renderMatrix());
}
