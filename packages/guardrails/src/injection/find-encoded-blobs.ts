import type { InjectionFinding, InjectionSource } from './injection-types.ts';

/**
 * Base64 blobs (≥ 40 characters, standard or URL-safe alphabet, optionally wrapped over lines as
 * MIME does) that decode to readable text are scored with the same phrase rules as the text
 * itself; a blob whose text reads as instructions is a finding. Images, keys, hashes and JWTs
 * decode to binary or JSON and are left alone. Work is bounded: a few blobs, a few KB each.
 */

/** Scores a decoded text (0..1) as the phrase rules see it. */
export type DecodedTextScorer = (decoded: string, source: InjectionSource) => number;

const MIN_BLOB = 40;
const MAX_BLOBS_DECODED = 16;
/** Characters of one blob decoded (about 6 KB of text). */
const MAX_BLOB_CHARS = 8192;
/** A decoded text scoring below this is not instructions. */
const MIN_INNER_SCORE = 0.25;
/** Added to the decoded text's score: hiding instructions in base64 is itself suspicious. */
const ENCODING_PENALTY = 0.2;
/** Readable text: no control characters, mostly letters and spaces. */
const MIN_LETTER_SHARE = 0.6;

/** A run, with MIME-style continuation lines (each at least 16 characters). */
const RUN = /[A-Za-z0-9+/_-]+={0,2}(?:\r?\n[A-Za-z0-9+/_-]{16,}={0,2})*/y;
const BASE64_UNIT = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-') BASE64_UNIT[char.charCodeAt(0)] = 1;
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
const LETTER_OR_SPACE = /[\p{L}\s]/gu;

/** Finds base64 blobs in `text` that decode to instructions. */
export function findEncodedInstructions(text: string, source: InjectionSource, scoreDecoded: DecodedTextScorer): InjectionFinding[] {
  const findings: InjectionFinding[] = [];
  let decodedBlobs = 0;
  let start = nextRun(text, 0);
  while (start >= 0 && decodedBlobs < MAX_BLOBS_DECODED) {
    RUN.lastIndex = start;
    const run = RUN.exec(text)!;
    const end = start + run[0].length;
    decodedBlobs++;
    const decoded = decodeReadable(run[0]);
    const inner = decoded === undefined ? 0 : scoreDecoded(decoded, source);
    if (inner >= MIN_INNER_SCORE) findings.push({ signal: 'encoded_instructions', weight: Math.min(0.95, inner + ENCODING_PENALTY), start, end, rule: 'encoded.base64-instructions' });
    start = nextRun(text, end);
  }
  return findings;
}

/**
 * The start of the next run of at least `MIN_BLOB` base64 characters at or after `from`, or -1.
 * Looks at every (MIN_BLOB − 1)th character only, since any such run contains one of them, and
 * measures a run only where a sampled character could belong to one: a fraction of the text.
 */
function nextRun(text: string, from: number): number {
  const step = MIN_BLOB - 1;
  for (let probe = from + step - 1; probe < text.length + step - 1; probe += step) {
    const at = Math.min(probe, text.length - 1);
    if (!isBase64Unit(text.charCodeAt(at))) continue;
    let start = at;
    while (start > from && isBase64Unit(text.charCodeAt(start - 1))) start--;
    let end = at + 1;
    while (end < text.length && isBase64Unit(text.charCodeAt(end))) end++;
    if (end - start >= MIN_BLOB) return start;
    probe = end - 1;
    if (at === text.length - 1) break;
  }
  return -1;
}

function isBase64Unit(unit: number): boolean {
  return unit < 128 && BASE64_UNIT[unit] === 1;
}

/** The blob's text when it decodes to readable UTF-8, else undefined. */
export function decodeReadable(blob: string): string | undefined {
  const compact = blob.slice(0, MAX_BLOB_CHARS).replace(/\s+/g, '');
  const usable = compact.replace(/=+$/, '');
  if (usable.length % 4 === 1) return undefined;
  const decoded = Buffer.from(usable, 'base64').toString('utf8');
  if (decoded.length < 12 || CONTROL.test(decoded)) return undefined;
  const replacements = decoded.split('\ufffd').length - 1;
  if (replacements > 2) return undefined;
  const letters = decoded.match(LETTER_OR_SPACE)?.length ?? 0;
  return letters / decoded.length >= MIN_LETTER_SHARE ? decoded : undefined;
}
