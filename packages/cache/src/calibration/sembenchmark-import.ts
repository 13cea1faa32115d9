import { CalibrationInputError, MAX_PROMPT_CHARS, type LabelledPair } from './labelled-pairs.ts';
import { parseCsv } from './parse-csv.ts';
import { mulberry32, shuffled } from './seeded-random.ts';

/**
 * Import of vCache's SemBenchmark sets (SemBenchmarkLmArena, …Classification, …SearchQueries on
 * Hugging Face; Schroeder et al., arXiv 2502.03771) as labelled pairs.
 *
 * What is confirmed, from the loader in vCache's own benchmarks/benchmark.py: each record has
 * `prompt` (the text), `id_set` (an integer naming the class of prompts that share a correct
 * answer; the loader also accepts `ID_Set`, and -1 means unlabelled), an optional `output_format`
 * (a system prompt, not embedded here), responses per model in `response_<model>` columns, and
 * precomputed embeddings per embedder in `emb_<model>` columns (`emb_gte`, `emb_e5_large_v2`,
 * `emb_text-embedding-3-small`, …) as a list of floats or that list as a JSON string.
 *
 * What is not supported: the sets ship as Parquet, which this reader does not parse. Convert once
 * with pandas — `pd.read_parquet(path).to_json('set.jsonl', orient='records', lines=True)` — and
 * pass that file; a JSON array of records and CSV with a header row (embeddings as JSON strings)
 * are read too. Records without a prompt are refused; records without an id_set, or with -1, are
 * skipped: they say nothing about which prompts share an answer.
 */

/** One labelled prompt of a SemBenchmark file. */
export interface SemBenchmarkPrompt {
  prompt: string;
  /** The class of prompts sharing a correct answer (`id_set`), as text. */
  idSet: string;
  /** The precomputed embedding, when an embedding column was asked for. */
  embedding?: number[];
}

/** How to read a SemBenchmark file. */
export interface SemBenchmarkReadOptions {
  /** Take each prompt's embedding from this column (e.g. `emb_gte`) instead of embedding it. */
  embeddingColumn?: string;
}

/** How many pairs to make, and how. */
export interface SemBenchmarkPairOptions {
  /** At most this many pairs in all. Default 2,000. */
  maxPairs: number;
  /** Same-class prompts paired with each entry (and as many from other classes). Default 8. */
  perEntry: number;
  /** Seed of which classes, entries and other-class prompts are picked. */
  seed: number;
}

/** Defaults for {@link SemBenchmarkPairOptions}. */
export const DEFAULT_SEMBENCHMARK_PAIR_OPTIONS: SemBenchmarkPairOptions = { maxPairs: 2_000, perEntry: 8, seed: 1 };

/**
 * The labelled prompts of a SemBenchmark file: a JSON array of records (`[` first), JSON Lines
 * (`{` first) or CSV (anything else). A prompt that appears twice keeps its first record.
 */
export function readSemBenchmark(text: string, options: SemBenchmarkReadOptions = {}): SemBenchmarkPrompt[] {
  const records = recordsOf(text);
  const seen = new Set<string>();
  const prompts: SemBenchmarkPrompt[] = [];
  records.forEach((record, index) => {
    const prompt = promptOf(record, index + 1);
    const idSet = idSetOf(record);
    if (idSet === undefined || seen.has(prompt)) return;
    seen.add(prompt);
    const embedding = options.embeddingColumn === undefined ? undefined : embeddingOf(record, options.embeddingColumn, index + 1);
    prompts.push({ prompt, idSet, ...(embedding === undefined ? {} : { embedding }) });
  });
  if (prompts.length === 0) throw new CalibrationInputError('no record has both a prompt and an id_set (other than -1): nothing says which prompts share an answer');
  return prompts;
}

function recordsOf(text: string): Record<string, unknown>[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    const parsed = parseJson(trimmed, 'the JSON file');
    if (!Array.isArray(parsed)) throw new CalibrationInputError('the JSON file must be an array of records');
    return parsed.map((record, index) => asRecord(record, index + 1));
  }
  if (trimmed.startsWith('{')) {
    return text
      .split(/\r?\n/)
      .map((line, index) => ({ line: line.trim(), number: index + 1 }))
      .filter(({ line }) => line !== '')
      .map(({ line, number }) => asRecord(parseJson(line, `line ${number}`), number));
  }
  return parseCsv(text);
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CalibrationInputError(`${where}: not JSON (${(error as Error).message})`);
  }
}

function asRecord(value: unknown, number: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CalibrationInputError(`record ${number}: expected an object with "prompt" and "id_set"`);
  return value as Record<string, unknown>;
}

function promptOf(record: Record<string, unknown>, number: number): string {
  const prompt = record.prompt;
  if (typeof prompt !== 'string' || prompt.trim() === '') throw new CalibrationInputError(`record ${number}: "prompt" must be a non-empty string`);
  if (prompt.length > MAX_PROMPT_CHARS) throw new CalibrationInputError(`record ${number}: "prompt" is ${prompt.length} characters; keep prompts to ${MAX_PROMPT_CHARS}`);
  return prompt;
}

/** The record's class as text, or undefined when it has none (absent, empty, or -1). */
function idSetOf(record: Record<string, unknown>): string | undefined {
  const value = record.id_set ?? record.ID_Set;
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' || Number(text) === -1 ? undefined : text;
}

function embeddingOf(record: Record<string, unknown>, column: string, number: number): number[] {
  let value = record[column];
  if (typeof value === 'string') value = parseJson(value, `record ${number}, column ${column}`);
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'number' && Number.isFinite(item))) {
    throw new CalibrationInputError(`record ${number}: column "${column}" must hold the embedding as a list of numbers (or that list as JSON text)`);
  }
  return value as number[];
}

/** The precomputed embeddings of the prompts, by prompt text (for prompts that have one). */
export function semBenchmarkEmbeddings(prompts: readonly SemBenchmarkPrompt[]): Map<string, number[]> {
  return new Map(prompts.flatMap((prompt) => (prompt.embedding === undefined ? [] : [[prompt.prompt, prompt.embedding] as const])));
}

/**
 * Pairs from labelled prompts: classes with two or more prompts are taken in a seeded order; each
 * gives one entry (a prompt of the class) paired with up to `perEntry` others of its class
 * (`same`, kind `same-id-set`) and as many prompts drawn from other classes (not `same`, kind
 * `other-id-set`), until `maxPairs`. Other-class prompts are drawn at random, so most are easy
 * negatives: a static threshold looks better here than on a stream's near misses.
 */
export function semBenchmarkPairs(prompts: readonly SemBenchmarkPrompt[], options: Partial<SemBenchmarkPairOptions> = {}): LabelledPair[] {
  const { maxPairs, perEntry, seed } = { ...DEFAULT_SEMBENCHMARK_PAIR_OPTIONS, ...definedOnly(options) };
  if (!(Number.isInteger(maxPairs) && maxPairs >= 2 && Number.isInteger(perEntry) && perEntry >= 1)) {
    throw new RangeError(`maxPairs must be a whole number of at least 2 and perEntry of at least 1, got ${maxPairs} and ${perEntry}`);
  }
  const classes = new Map<string, string[]>();
  for (const { prompt, idSet } of prompts) {
    const members = classes.get(idSet);
    if (members === undefined) classes.set(idSet, [prompt]);
    else members.push(prompt);
  }
  const random = mulberry32(seed);
  const pairs: LabelledPair[] = [];
  for (const [idSet, members] of shuffled([...classes].filter(([, members]) => members.length >= 2), random)) {
    const room = Math.floor((maxPairs - pairs.length) / 2);
    if (room === 0) break;
    const [anchor, ...others] = shuffled(members, random);
    const same = others.slice(0, Math.min(perEntry, room));
    for (const b of same) pairs.push({ a: anchor!, b, same: true, kind: 'same-id-set' });
    for (const b of drawOthers(prompts, idSet, same.length, random)) pairs.push({ a: anchor!, b, same: false, kind: 'other-id-set' });
  }
  if (pairs.length === 0) throw new CalibrationInputError('no id_set holds two prompts: there is nothing to pair as "same"');
  return pairs;
}

/** Up to `count` distinct prompts of classes other than `idSet`, drawn with `random`. */
function drawOthers(prompts: readonly SemBenchmarkPrompt[], idSet: string, count: number, random: () => number): string[] {
  const chosen = new Set<string>();
  for (let attempt = 0; attempt < count * 20 && chosen.size < count; attempt++) {
    const candidate = prompts[Math.floor(random() * prompts.length)]!;
    if (candidate.idSet !== idSet) chosen.add(candidate.prompt);
  }
  return [...chosen];
}

function definedOnly(options: Partial<SemBenchmarkPairOptions>): Partial<SemBenchmarkPairOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
