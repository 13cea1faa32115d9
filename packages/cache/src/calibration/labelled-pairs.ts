/**
 * A labelled prompt pair: `a` stands for a cached entry and `b` for a later prompt near it; `same`
 * says whether `a`'s answer is right for `b`. Several pairs share one `a`, so an entry sees several
 * lookups, as the per-entry policy needs.
 */
export interface LabelledPair {
  a: string;
  b: string;
  same: boolean;
  /** What sets `b` apart from `a` (`paraphrase`, `slot-swap`, `negation`, `unrelated`, …), for reports. */
  kind?: string;
}

/** A labelled pair with the cosine similarity of its two prompts' embeddings, in [-1, 1]. */
export interface ScoredPair extends LabelledPair {
  similarity: number;
}

/** Calibration input that cannot be used, with where it is and how to fix it. */
export class CalibrationInputError extends Error {
  override readonly name = 'CalibrationInputError';
}

/** Longest prompt accepted, in characters: an embeddings input, not a document. */
export const MAX_PROMPT_CHARS = 32_000;

/** Longest `kind`, in characters: kinds are labels in a report, not data. */
export const MAX_KIND_CHARS = 100;

/** Most distinct kinds in one file (pairs without a kind count as one), as the stored report allows. */
export const MAX_KINDS = 50;

/**
 * The pairs of a JSON Lines file, one `{"a": "...", "b": "...", "same": true|false, "kind": "..."}`
 * per line (blank lines skipped). Throws a {@link CalibrationInputError} naming the first bad
 * line and field, so a hand-edited file is fixed in one go rather than by trial.
 */
export function parsePairsJsonl(text: string): LabelledPair[] {
  const pairs: LabelledPair[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '') continue;
    pairs.push(parsePairLine(line, index + 1));
  }
  if (pairs.length === 0) throw new CalibrationInputError('no pairs: expected one {"a", "b", "same"} object per line');
  const kinds = new Set(pairs.map((pair) => pair.kind));
  if (kinds.size > MAX_KINDS) throw new CalibrationInputError(`${kinds.size} distinct kinds; use at most ${MAX_KINDS} (kinds label groups of pairs in the report)`);
  return pairs;
}

function parsePairLine(line: string, number: number): LabelledPair {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new CalibrationInputError(`line ${number}: not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CalibrationInputError(`line ${number}: expected an object {"a": "...", "b": "...", "same": true|false}`);
  }
  const record = value as Record<string, unknown>;
  const a = promptField(record, 'a', number);
  const b = promptField(record, 'b', number);
  if (typeof record.same !== 'boolean') throw new CalibrationInputError(`line ${number}: "same" must be true or false (does a's answer serve b?)`);
  if (record.kind !== undefined && !(typeof record.kind === 'string' && record.kind.length >= 1 && record.kind.length <= MAX_KIND_CHARS)) {
    throw new CalibrationInputError(`line ${number}: "kind" must be a string of 1 to ${MAX_KIND_CHARS} characters when given`);
  }
  return { a, b, same: record.same, ...(record.kind === undefined ? {} : { kind: record.kind }) };
}

function promptField(record: Record<string, unknown>, field: 'a' | 'b', number: number): string {
  const value = record[field];
  if (typeof value !== 'string' || value.trim() === '') throw new CalibrationInputError(`line ${number}: "${field}" must be a non-empty string (a prompt)`);
  if (value.length > MAX_PROMPT_CHARS) throw new CalibrationInputError(`line ${number}: "${field}" is ${value.length} characters; keep prompts to ${MAX_PROMPT_CHARS}`);
  return value;
}

/** The distinct prompts of `pairs`, in order of first appearance: what needs an embedding. */
export function distinctPrompts(pairs: readonly LabelledPair[]): string[] {
  const seen = new Set<string>();
  for (const pair of pairs) {
    seen.add(pair.a);
    seen.add(pair.b);
  }
  return [...seen];
}
