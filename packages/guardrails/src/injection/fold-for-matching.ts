import { foldCodePoint, foldsToItself, invisibleKind, isStableCodePoint, lookAlikeOf, NEXT_TO_FOLD } from './invisible-characters.ts';

/**
 * The text the phrase rules run on: NFKC per code point, zero-width and other invisible characters
 * removed (so "ig\u200bnore" reads "ignore"), tag characters decoded to the ASCII they smuggle,
 * Latin look-alikes inside Latin words mapped. Case is left alone: every rule is case-insensitive.
 * Pure-ASCII text (the common case) is returned as is, without a copy.
 */
export interface FoldedText {
  text: string;
  /** The offset in the original text of folded offset `index` (`text.length` maps to the original's length). */
  sourceIndex(index: number): number;
  hidden: HiddenCharacters;
}

/** Where invisible characters were, in original offsets. */
export interface HiddenCharacters {
  /** Zero-width characters next to ASCII text (not the ZWJ of an emoji or the ZWNJ of Persian). */
  zeroWidth: CharacterTally;
  /** U+202D / U+202E: the text displays in another order than it reads. */
  bidiOverride: CharacterTally;
  /** Other bidi embeddings and isolates; `unbalanced` when opened and closed counts differ. */
  bidiEmbedding: CharacterTally & { unbalanced: boolean };
  /** Runs of tag characters other than an emoji flag's, with what they decode to (capped). */
  tagRuns: TagRun[];
}

/** How many characters of a kind, and the span from the first to the last. */
export interface CharacterTally {
  count: number;
  /** Offset of the first and one past the last occurrence; both 0 when `count` is 0. */
  start: number;
  end: number;
}

/** A run of tag characters (original offsets) and the ASCII it spells. */
export interface TagRun {
  start: number;
  end: number;
  decoded: string;
}

const BLACK_FLAG = 0x1f3f4;
const CANCEL_TAG = 0xe007f;
/** Enough tag runs to report; later ones are still decoded into the text. */
const MAX_TAG_RUNS = 16;
/** Decoded tag text kept per run (the rest of a longer run is dropped). */
const MAX_TAG_TEXT = 4096;
/** One-for-one replacements buffered before joining (String.fromCharCode takes them as arguments). */
const PENDING_LIMIT = 4096;
/** Characters stepped over one by one before the native jump is worth its call. */
const SHORT_STRETCH = 16;
/** Runs up to this long are buffered with the replacements instead of sliced. */
const SHORT_RUN = 16;

const tally = (): CharacterTally => ({ count: 0, start: 0, end: 0 });
const noHidden = (): HiddenCharacters => ({ zeroWidth: tally(), bidiOverride: tally(), bidiEmbedding: { ...tally(), unbalanced: false }, tagRuns: [] });

/** Folds `text` for matching; see `FoldedText`. */
export function foldForMatching(text: string): FoldedText {
  // Pure ASCII (as long in UTF-8 as in UTF-16) needs no folding: Node counts it about ten times faster than NEXT_TO_FOLD scans.
  if (Buffer.byteLength(text, 'utf8') === text.length) return new UnfoldedText(text);
  NEXT_TO_FOLD.lastIndex = 0;
  if (!NEXT_TO_FOLD.test(text)) return new UnfoldedText(text);
  return new Folder(text).fold();
}

/** Nothing hidden: shared by every text that needs no folding, so frozen. */
const NOTHING_HIDDEN: HiddenCharacters = Object.freeze({
  zeroWidth: Object.freeze(tally()),
  bidiOverride: Object.freeze(tally()),
  bidiEmbedding: Object.freeze({ ...tally(), unbalanced: false }),
  tagRuns: Object.freeze([]) as unknown as TagRun[],
});

/** A text that needs no folding (most texts), as it is: a class, not a closure per call. */
class UnfoldedText implements FoldedText {
  readonly hidden = NOTHING_HIDDEN;

  constructor(readonly text: string) {}

  sourceIndex(index: number): number {
    return Math.min(index, this.text.length);
  }
}

/**
 * Builds the folded string, recording where it came from: a new segment starts only where the
 * offset between original and folded text changes (a removed character, a replacement of another
 * length), so mapping stays small even when most characters are replaced one for one.
 */
class Folder {
  private readonly parts: string[] = [];
  /** Code units of one-for-one replacements not yet joined into `parts`. */
  private pending: number[] = [];
  private length = 0;
  /** Per segment, three numbers: folded start, original start, and 1 when offsets inside it map one to one. */
  private segments = new Int32Array(3 * 64);
  private segmentCount = 0;
  private readonly hidden = noHidden();
  private bidiOpened = 0;
  private bidiClosed = 0;

  constructor(private readonly source: string) {}

  fold(): FoldedText {
    const source = this.source;
    let index = 0;
    let runStart = 0;
    let asciiStretch = 0;
    while (index < source.length) {
      const unit = source.charCodeAt(index);
      if (unit < 0x80 || foldsToItself(unit)) {
        // Characters that stay as they are: non-ASCII ones and short ASCII stretches (spaces between Cyrillic
        // words) are stepped over here; a longer ASCII stretch is jumped natively to the next character to fold.
        index++;
        if (unit >= 0x80 || ++asciiStretch < SHORT_STRETCH) continue;
        asciiStretch = 0;
        NEXT_TO_FOLD.lastIndex = index;
        if (NEXT_TO_FOLD.exec(source) === null) break;
        index = NEXT_TO_FOLD.lastIndex - 1;
        if (foldsToItself(source.charCodeAt(index))) continue;
      }
      asciiStretch = 0;
      const cp = source.codePointAt(index)!;
      const width = cp > 0xffff ? 2 : 1;
      const kind = invisibleKind(cp);
      if (kind !== null) {
        this.copyRun(runStart, index);
        index = runStart = kind === 'tag' ? this.tagRun(index) : this.invisibleRun(index);
        continue;
      }
      const replacement = isStableCodePoint(cp) ? undefined : this.visibleFold(index, cp, width);
      if (replacement !== undefined) {
        this.copyRun(runStart, index);
        this.replace(index, width, replacement);
        runStart = index + width;
      }
      index += width;
    }
    this.copyRun(runStart, source.length);
    this.flushPending();
    this.hidden.bidiEmbedding.unbalanced = this.bidiOpened !== this.bidiClosed;
    return { text: this.parts.join(''), sourceIndex: (folded) => this.sourceIndex(folded), hidden: this.hidden };
  }

  /** What a visible non-ASCII code point becomes, or undefined when it stays as it is. */
  private visibleFold(index: number, cp: number, width: number): string | undefined {
    const latin = lookAlikeOf(cp);
    if (latin !== undefined && (isAsciiLetter(this.source.charCodeAt(index - 1)) || isAsciiLetter(this.source.charCodeAt(index + width)))) return latin;
    // Cyrillic and basic Greek letters are NFKC-stable; only their look-alikes inside Latin words change.
    if ((cp >= 0x0400 && cp <= 0x04ff) || (cp >= 0x0388 && cp <= 0x03ce)) return undefined;
    const folded = foldCodePoint(cp);
    const same = folded.length === width && folded.charCodeAt(0) === this.source.charCodeAt(index) && (width === 1 || folded.charCodeAt(1) === this.source.charCodeAt(index + 1));
    return same ? undefined : folded;
  }

  /** Drops a run of invisible characters (tags excepted), tallying them; returns the run's end. */
  private invisibleRun(start: number): number {
    const source = this.source;
    let end = start;
    while (end < source.length) {
      const cp = source.codePointAt(end)!;
      const kind = invisibleKind(cp);
      if (kind === null || kind === 'tag') break;
      end += cp > 0xffff ? 2 : 1;
    }
    // Hidden inside Latin text (not the ZWJ of an emoji, not Persian's ZWNJ) when a visible neighbour is ASCII.
    const besideAscii = (start > 0 && source.charCodeAt(start - 1) < 0x80) || (end < source.length && source.charCodeAt(end) < 0x80);
    for (let index = start; index < end; ) {
      const cp = source.codePointAt(index)!;
      const width = cp > 0xffff ? 2 : 1;
      const kind = invisibleKind(cp);
      if (kind === 'zero-width' && besideAscii && !(cp === 0xfeff && index === 0)) mark(this.hidden.zeroWidth, index, width);
      if (kind === 'bidi-override') mark(this.hidden.bidiOverride, index, width);
      if (kind === 'bidi-embedding') mark(this.hidden.bidiEmbedding, index, width);
      if (kind === 'bidi-override' || kind === 'bidi-embedding') {
        if (cp === 0x202c || cp === 0x2069) this.bidiClosed++;
        else this.bidiOpened++;
      }
      index += width;
    }
    return end;
  }

  /** Decodes a run of tag characters into the text (between spaces) unless it is an emoji flag's; returns the run's end. */
  private tagRun(start: number): number {
    const source = this.source;
    let end = start;
    let decoded = '';
    let flagLike = true;
    while (end < source.length) {
      const cp = source.codePointAt(end)!;
      if (cp < 0xe0000 || cp > 0xe007f) break;
      if (cp >= 0xe0020 && cp <= 0xe007e && decoded.length < MAX_TAG_TEXT) decoded += String.fromCharCode(cp - 0xe0000);
      flagLike &&= (cp >= 0xe0030 && cp <= 0xe007a) || cp === CANCEL_TAG;
      end += 2;
    }
    const flag = flagLike && source.codePointAt(start - 2) === BLACK_FLAG && source.codePointAt(end - 2) === CANCEL_TAG && end - start <= 16;
    if (flag || decoded.length === 0) return end;
    if (this.hidden.tagRuns.length < MAX_TAG_RUNS) this.hidden.tagRuns.push({ start, end, decoded });
    // One segment per decoded character would be exact; the run as a whole is what a finding points at.
    this.replace(start, end - start, ` ${decoded} `);
    return end;
  }

  private copyRun(start: number, end: number): void {
    if (end <= start) return;
    this.segment(start, true);
    if (end - start <= SHORT_RUN) {
      for (let index = start; index < end; index++) this.pending.push(this.source.charCodeAt(index));
      if (this.pending.length >= PENDING_LIMIT) this.flushPending();
    } else {
      this.flushPending();
      this.parts.push(this.source.slice(start, end));
    }
    this.length += end - start;
  }

  /** Replaces `width` original units at `start` with `text`. */
  private replace(start: number, width: number, text: string): void {
    if (text.length === width && width === 1) {
      this.segment(start, true);
      this.pending.push(text.charCodeAt(0));
      this.length += 1;
      if (this.pending.length >= PENDING_LIMIT) this.flushPending();
      return;
    }
    if (text.length === 0) return;
    this.flushPending();
    this.segment(start, false);
    this.parts.push(text);
    this.length += text.length;
  }

  /** Starts a segment at the current folded length unless it continues the last one one-for-one. */
  private segment(sourceStart: number, linear: boolean): void {
    const segments = this.segments;
    const last = 3 * (this.segmentCount - 1);
    if (linear && last >= 0 && segments[last + 2] === 1 && segments[last + 1]! - segments[last]! === sourceStart - this.length) return;
    if (3 * (this.segmentCount + 1) > segments.length) {
      this.segments = new Int32Array(segments.length * 2);
      this.segments.set(segments);
    }
    const at = 3 * this.segmentCount++;
    this.segments[at] = this.length;
    this.segments[at + 1] = sourceStart;
    this.segments[at + 2] = linear ? 1 : 0;
  }

  private flushPending(): void {
    if (this.pending.length === 0) return;
    this.parts.push(String.fromCharCode(...this.pending));
    this.pending = [];
  }

  private sourceIndex(folded: number): number {
    if (folded >= this.length) return this.source.length;
    const segments = this.segments;
    let low = 0;
    let high = this.segmentCount - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (segments[3 * middle]! <= folded) low = middle;
      else high = middle - 1;
    }
    const start = segments[3 * low + 1]!;
    return segments[3 * low + 2] === 1 ? start + (folded - segments[3 * low]!) : start;
  }
}

function mark(counter: CharacterTally, index: number, width: number): void {
  if (counter.count === 0) counter.start = index;
  counter.count++;
  counter.end = index + width;
}

function isAsciiLetter(unit: number): boolean {
  return (unit >= 0x41 && unit <= 0x5a) || (unit >= 0x61 && unit <= 0x7a);
}
