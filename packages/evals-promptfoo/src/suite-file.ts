import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** A suite that cannot be run as written: a usage error, not a failed assertion. */
export class SuiteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SuiteError';
  }
}

/** A promptfoo config as read from a suite file, its `file://` references made absolute. */
export type SuiteConfig = Record<string, unknown>;

/** The suite's entries that `runSuite` replaces with objects of its own. */
export type SuiteEntry = 'replay-provider' | 'grading-provider' | 'embedding-provider' | 'dataset-tests';

const ENTRY_FILES: Record<SuiteEntry, string> = {
  'replay-provider': fileURLToPath(new URL('./suite-entries/replay-provider.ts', import.meta.url)),
  'grading-provider': fileURLToPath(new URL('./suite-entries/grading-provider.ts', import.meta.url)),
  'embedding-provider': fileURLToPath(new URL('./suite-entries/embedding-provider.ts', import.meta.url)),
  'dataset-tests': fileURLToPath(new URL('./suite-entries/dataset-tests.ts', import.meta.url)),
};

/**
 * Reads a suite file (promptfoo YAML) and makes every relative `file://` reference absolute,
 * from the suite's folder as promptfoo's CLI does: `evaluate()` would resolve them from the
 * process's working folder instead.
 */
export async function readSuite(suitePath: string): Promise<SuiteConfig> {
  let text: string;
  try {
    text = await readFile(suitePath, 'utf8');
  } catch (error) {
    throw new SuiteError(`cannot read the suite ${suitePath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new SuiteError(`the suite ${suitePath} is not YAML: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SuiteError(`the suite ${suitePath} is not a promptfoo config (a YAML mapping with prompts, providers and tests)`);
  return absoluteFileReferences(parsed, path.dirname(path.resolve(suitePath))) as SuiteConfig;
}

/** Every string `file://relative…` in `value` made `file:///absolute…`-style from `folder`, deeply. */
export function absoluteFileReferences(value: unknown, folder: string): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith('file://')) return value;
    const reference = value.slice('file://'.length);
    return path.isAbsolute(reference) ? value : `file://${path.resolve(folder, reference)}`;
  }
  if (Array.isArray(value)) return value.map((item) => absoluteFileReferences(item, folder));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, absoluteFileReferences(item, folder)]));
  }
  return value;
}

/** Which of this package's suite entries a `file://` reference names (a `:function` suffix allowed), if any. */
export function suiteEntryOf(reference: unknown): SuiteEntry | undefined {
  if (typeof reference !== 'string' || !reference.startsWith('file://')) return undefined;
  const file = reference.slice('file://'.length).replace(/:[A-Za-z_$][\w$]*$/, '');
  const real = realPath(file);
  return (Object.keys(ENTRY_FILES) as SuiteEntry[]).find((entry) => realPath(ENTRY_FILES[entry]) === real);
}

function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/** A mapping's value as a mapping, or undefined. */
export function mappingOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
