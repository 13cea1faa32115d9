/**
 * Code points that render as nothing (or reorder what renders) and the per-code-point folding the
 * phrase rules compare on: NFKC, a few Latin look-alikes, straight quotes.
 */

/** What an invisible code point is, for reporting; `null` for visible ones. */
export type InvisibleKind = 'zero-width' | 'bidi-override' | 'bidi-embedding' | 'tag' | 'ignorable' | null;

/** Classifies `cp`. `ignorable` ones (soft hyphen, LRM/RLM, variation selectors) are dropped for matching but not reported. */
export function invisibleKind(cp: number): InvisibleKind {
  if (cp < 0xad) return null;
  if (cp >= 0xe0000 && cp <= 0xe007f) return 'tag';
  if ((cp >= 0x200b && cp <= 0x200d) || cp === 0x2060 || cp === 0xfeff || (cp >= 0x2061 && cp <= 0x2064) || cp === 0x180e) return 'zero-width';
  if (cp === 0x115f || cp === 0x1160 || cp === 0x3164 || cp === 0xffa0 || (cp >= 0x206a && cp <= 0x206f)) return 'zero-width';
  if (cp === 0x202d || cp === 0x202e) return 'bidi-override';
  if ((cp >= 0x202a && cp <= 0x202c) || (cp >= 0x2066 && cp <= 0x2069)) return 'bidi-embedding';
  if (cp === 0xad || cp === 0x34f || cp === 0x61c || cp === 0x200e || cp === 0x200f || cp === 0x17b4 || cp === 0x17b5) return 'ignorable';
  if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) return 'ignorable';
  return null;
}

/**
 * Ranges whose code points NFKC leaves alone and that need no look-alike or quote mapping, so the
 * fold skips them without a lookup (Latin-1 letters, dashes, arrows, box drawing and symbols,
 * Hebrew and Arabic letters, kana, CJK, Hangul, emoji). A unit test checks every one. Few and
 * wide on purpose: `NEXT_TO_FOLD` slows down markedly with many small ranges.
 */
export const STABLE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x00c0, 0x00ff],
  [0x05d0, 0x05ea],
  [0x0621, 0x064a],
  [0x2012, 0x2016],
  [0x2020, 0x2023],
  [0x2190, 0x21ff],
  [0x2500, 0x27bf],
  [0x3041, 0x3096],
  [0x30a1, 0x30fa],
  [0x4e00, 0x9fff],
  [0xac00, 0xd7a3],
  [0x1f300, 0x1f3ff],
  [0x1f400, 0x1f7ff],
  [0x1f900, 0x1f9ff],
];

const STABLE_BOUNDS = Int32Array.from(STABLE_RANGES.flat());

/** True when `cp` is in one of `STABLE_RANGES` (it folds to itself). */
export function isStableCodePoint(cp: number): boolean {
  for (let index = 0; index < STABLE_BOUNDS.length; index += 2) if (cp >= STABLE_BOUNDS[index]! && cp <= STABLE_BOUNDS[index + 1]!) return true;
  return false;
}

/** Per BMP code unit: 0 not yet known, 1 folds to itself wherever it stands, 2 needs a look. */
const UNIT_CLASS = new Uint8Array(0x10000);

/**
 * True when the BMP code unit `unit` is visible, NFKC-stable, not a quote to straighten and not a
 * look-alike: it can be copied without a look at its neighbours. Decided once per unit and cached.
 */
export function foldsToItself(unit: number): boolean {
  let known = UNIT_CLASS[unit]!;
  if (known === 0) {
    const char = String.fromCharCode(unit);
    const itself = (unit < 0xd800 || unit > 0xdfff) && invisibleKind(unit) === null && lookAlikeOf(unit) === undefined && foldCodePoint(unit) === char;
    UNIT_CLASS[unit] = known = itself ? 1 : 2;
  }
  return known === 1;
}

/**
 * Finds the next code unit the fold must look at: not ASCII, not in a BMP stable range, not part
 * of an emoji of U+1F400–U+1F7FF (high surrogate U+D83D; low surrogates are skipped because their
 * high surrogate decides). One native scan instead of a JavaScript loop over every character;
 * written as the positive complement, which irregexp scans several times faster than `[^…]`.
 */
export const NEXT_TO_FOLD = new RegExp(`[${complementOf([[0x0000, 0x007f], ...STABLE_RANGES.filter(([, high]) => high <= 0xffff), [0xd83d, 0xd83d], [0xdc00, 0xdfff]])}]`, 'g');

/** The BMP code units outside `ranges` (sorted, non-overlapping), as a character-class body. */
function complementOf(ranges: ReadonlyArray<readonly [number, number]>): string {
  const escape = (unit: number) => '\\u' + unit.toString(16).padStart(4, '0');
  let body = '';
  let next = 0;
  for (const [low, high] of ranges) {
    if (low > next) body += `${escape(next)}-${escape(low - 1)}`;
    next = high + 1;
  }
  if (next <= 0xffff) body += `${escape(next)}-${escape(0xffff)}`;
  return body;
}

/** Cyrillic and Greek letters that look like Latin ones; mapped only inside otherwise-Latin words. */
const LOOK_ALIKES = new Map<number, string>(
  Object.entries({
    'а': 'a', 'в': 'b', 'е': 'e', 'ѕ': 's', 'і': 'i', 'ј': 'j', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'һ': 'h', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w',
    'А': 'a', 'В': 'b', 'Е': 'e', 'К': 'k', 'М': 'm', 'Н': 'h', 'О': 'o', 'Р': 'p', 'С': 'c', 'Т': 't', 'Х': 'x', 'І': 'i', 'Ј': 'j', 'Ѕ': 's', 'У': 'y',
    'α': 'a', 'ο': 'o', 'ν': 'v', 'ι': 'i', 'κ': 'k', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x',
    'Α': 'a', 'Β': 'b', 'Ε': 'e', 'Ζ': 'z', 'Η': 'h', 'Ι': 'i', 'Κ': 'k', 'Μ': 'm', 'Ν': 'n', 'Ο': 'o', 'Ρ': 'p', 'Τ': 't', 'Χ': 'x', 'Υ': 'y',
  }).map(([letter, latin]) => [letter.codePointAt(0)!, latin]),
);

/** The Latin letter `cp` imitates, if it is a known look-alike. */
export function lookAlikeOf(cp: number): string | undefined {
  return LOOK_ALIKES.get(cp);
}

/** Curly quotes and primes become straight ones, so `you’re` matches `you're`. */
const QUOTES = new Map<number, string>([
  [0x2018, "'"], [0x2019, "'"], [0x201b, "'"], [0x2032, "'"], [0x201c, '"'], [0x201d, '"'], [0x201f, '"'], [0x2033, '"'],
]);

/** Combining marks dropped after NFKC (Zalgo text, stray accents over Latin letters). */
const COMBINING = /[\u0300-\u036f\u20d0-\u20ff\ufe20-\ufe2f]/g;
const CACHE_LIMIT = 8192;
const foldCache = new Map<number, string>();

/** `cp` as the rules compare it: straight quotes, NFKC, no combining marks. Cached per code point. */
export function foldCodePoint(cp: number): string {
  const quote = QUOTES.get(cp);
  if (quote !== undefined) return quote;
  const cached = foldCache.get(cp);
  if (cached !== undefined) return cached;
  const folded = String.fromCodePoint(cp).normalize('NFKC').replace(COMBINING, '');
  if (foldCache.size < CACHE_LIMIT) foldCache.set(cp, folded);
  return folded;
}
