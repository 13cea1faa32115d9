import { Buffer } from 'node:buffer';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { o200k as encoding } from './o200k-encoding.ts';

/*
 * Why this exists. gpt-tokenizer splits a text with the o200k pre-tokenizer regex, then runs the
 * BPE over each piece; its BPE rescans the whole piece after every merge, so a piece of n bytes
 * costs O(n²), and text without spaces (one character repeated, runs of `=` or spaces, CJK) is
 * one piece: 160 KB of `a` blocked every tenant for 11 s. Even where the work is linear, it costs
 * about 0.1 µs per character of prose and 1–6 µs of random text, so no BPE counts 10 MiB (the
 * body limit) in the few milliseconds one request may hold the event loop.
 *
 * So counting here is exact but bounded, then bounded by bytes:
 * - The text is handed to the BPE in windows of at most WINDOW_CHARS, cut where the o200k regex
 *   is known to cut too (see `isSafeCut`): the pieces, and so the count, are those of the whole
 *   text. A piece longer than MAX_PIECE_CHARS is cut into chunks of that size; only such pieces
 *   (and windows that find no safe cut) can count differently from the whole text, by about a
 *   token per cut (measured 0–1.4% above on adversarial text) — and pieces that long are
 *   rare in prose or code.
 * - Exact counting of one call (a request's prompt, an answer) stops once it has taken
 *   COUNTING_SLICE_MS, but never before EXACT_FLOOR_CHARS characters were counted, so small
 *   prompts always count exactly. What is left is counted as its UTF-8 bytes: every o200k token
 *   covers at least one byte, so this never undercounts — a reservation stays a worst case, and
 *   an answer settled without the provider's usage is never charged below what was generated.
 *   Prose is ~4 bytes a token, so that part is over-counted up to ~4× (CJK ~1.5×, random text ~1×).
 * - Where a text stopped is remembered by the caller (`CountProgress`), so a long context sent
 *   again on every turn is counted a slice further each time until it is exact.
 * Worst case per call: the floor, or the slice plus one window, plus a native byte count.
 */

/** Longest pre-token piece the BPE merges over, in UTF-16 code units: its cost is quadratic. */
export const MAX_PIECE_CHARS = 128;
/** Most text handed to the BPE in one call, in UTF-16 code units; the slice is checked between windows. */
export const WINDOW_CHARS = 1024;
/** How long one call (a request's prompt, an answer) may count exactly, in milliseconds. */
export const COUNTING_SLICE_MS = 3;
/** Characters always counted exactly per call, whatever the clock says: a small prompt's count is stable. */
export const EXACT_FLOOR_CHARS = 1024;

/** How far a text was counted exactly: tokens of `text.slice(0, end)`, `end` at a window's cut. */
export interface CountProgress {
  /** End of the exactly counted prefix, in UTF-16 code units. */
  end: number;
  /** Tokens of that prefix. */
  tokens: number;
}

/** A text's count: exact for `progress.end` characters, bounded by UTF-8 bytes beyond. */
export interface TextCount {
  /** Tokens of the whole text: exact, or an upper bound when `progress.end < text.length`. */
  tokens: number;
  progress: CountProgress;
}

/** What a counter did, for tests and measurements. All lengths in UTF-16 code units. */
export interface CountingStats {
  /** Calls to the BPE (one per window, group of pieces or chunk). */
  bpeCalls: number;
  /** Characters handed to the BPE, summed over calls. */
  bpeChars: number;
  /** Longest text handed to the BPE in one call. */
  longestBpeInput: number;
  /** Characters looked at to find cuts and pieces: each twice, and a window's kept last piece again. */
  scannedChars: number;
  /** Characters counted by their UTF-8 bytes instead of the BPE. */
  boundedChars: number;
}

export interface TextTokenCounterOptions {
  /** Counts one bounded text; defaults to o200k, special tokens such as `<|endoftext|>` counted as text. */
  bpe?: (text: string) => number;
  /** Clock in milliseconds; defaults to `performance.now`. */
  now?: () => number;
  /** Defaults to COUNTING_SLICE_MS. */
  sliceMs?: number;
  /** Defaults to EXACT_FLOOR_CHARS. */
  floorChars?: number;
}

// A provider treats `<|endoftext|>` in a message as text; gpt-tokenizer throws on it by default.
const asText = { disallowedSpecial: new Set<string>() };
const o200k = (text: string): number => encoding.countTokens(text, asText);
const START: CountProgress = { end: 0, tokens: 0 };
// Gantry's own instance: gpt-tokenizer's must keep lastIndex 0 (matchAll starts where it was).
// Used synchronously from lastIndex 0, so one instance serves every counter.
const splitter = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, 'gu');

/**
 * Counts texts for one call (a request's prompt, an answer), sharing one time slice across them.
 * Create one per call; it is cheap.
 */
export class TextTokenCounter {
  readonly stats: CountingStats = { bpeCalls: 0, bpeChars: 0, longestBpeInput: 0, scannedChars: 0, boundedChars: 0 };
  private readonly bpe: (text: string) => number;
  private readonly now: () => number;
  private readonly sliceMs: number;
  private readonly floorChars: number;
  private readonly started: number;

  constructor(options: TextTokenCounterOptions = {}) {
    this.bpe = options.bpe ?? o200k;
    this.now = options.now ?? (() => performance.now());
    this.sliceMs = options.sliceMs ?? COUNTING_SLICE_MS;
    this.floorChars = options.floorChars ?? EXACT_FLOOR_CHARS;
    this.started = this.now();
  }

  /** Counts `text`, resuming after `from` (a progress an earlier count of the same text returned). */
  count(text: string, from: CountProgress = START): TextCount {
    let { end: position, tokens } = from;
    while (position < text.length && this.mayCountExactly()) {
      const window = this.nextWindow(text, position);
      if (window.safe && window.longestGap <= MAX_PIECE_CHARS) {
        tokens += this.handToBpe(text.slice(position, window.end));
        position = window.end;
      } else {
        const counted = this.countPieces(text, position, window.end, window.safe);
        tokens += counted.tokens;
        position = counted.end;
      }
    }
    const progress = { end: position, tokens };
    if (position === text.length) return { tokens, progress };
    this.stats.boundedChars += text.length - position;
    return { tokens: tokens + Buffer.byteLength(text.slice(position), 'utf8'), progress };
  }

  private mayCountExactly(): boolean {
    return this.stats.bpeChars < this.floorChars || this.now() - this.started < this.sliceMs;
  }

  private handToBpe(text: string): number {
    this.stats.bpeCalls += 1;
    this.stats.bpeChars += text.length;
    if (text.length > this.stats.longestBpeInput) this.stats.longestBpeInput = text.length;
    return this.bpe(text);
  }

  /**
   * The next window from `start`: up to the last safe cut within WINDOW_CHARS (`safe`), or, with
   * none, WINDOW_CHARS further. `longestGap` bounds the longest piece inside it: safe cuts are
   * piece boundaries, so no piece spans one.
   */
  private nextWindow(text: string, start: number): { end: number; safe: boolean; longestGap: number } {
    const limit = Math.min(text.length, start + WINDOW_CHARS);
    this.stats.scannedChars += limit - start;
    let lastCut = start;
    let longestGap = 0;
    const lastCandidate = limit === text.length ? limit - 1 : limit;
    for (let index = start + 1; index <= lastCandidate; index++) {
      if (!isSafeCut(text, index)) continue;
      longestGap = Math.max(longestGap, index - lastCut);
      lastCut = index;
    }
    if (limit === text.length) return { end: limit, safe: true, longestGap: Math.max(longestGap, limit - lastCut) };
    if (lastCut > start) return { end: lastCut, safe: true, longestGap };
    return { end: withoutSplitSurrogate(text, limit, start), safe: false, longestGap: limit - start };
  }

  /**
   * A window holding a long piece, or with no safe cut: split it with the o200k regex, hand runs of
   * short pieces to the BPE together and long pieces in chunks. Returns where counting stopped.
   */
  private countPieces(text: string, start: number, end: number, safe: boolean): { tokens: number; end: number } {
    const window = text.slice(start, end);
    this.stats.scannedChars += window.length;
    const pieces: [number, number][] = [];
    splitter.lastIndex = 0;
    for (let match = splitter.exec(window); match !== null; match = splitter.exec(window)) {
      pieces.push([start + match.index, start + match.index + match[0].length]);
    }
    // A window cut where the regex would not cut may have truncated its last piece: leave that
    // piece to the next window (unless it is all there is: then it is one long piece anyway).
    const stop = !safe && pieces.length > 1 ? pieces.pop()![0] : end;

    let tokens = 0;
    let groupStart = start;
    // The run of short pieces is cut before a long piece, where `\s+(?!\S)` would look across
    // the cut: so it goes to the BPE up to its last piece ending in a non-space (a safe cut, as
    // in `isSafeCut`), and the whitespace-ending pieces after that one by one.
    let quietEnd = start;
    let trailing: [number, number][] = [];
    const countGroup = (groupEnd: number, cutIsSafe: boolean) => {
      const together = cutIsSafe ? groupEnd : quietEnd;
      if (together > groupStart) tokens += this.handToBpe(text.slice(groupStart, together));
      if (!cutIsSafe) for (const [pieceStart, pieceEnd] of trailing) tokens += this.handToBpe(text.slice(pieceStart, pieceEnd));
      trailing = [];
      groupStart = groupEnd;
      quietEnd = groupEnd;
    };
    for (const [pieceStart, pieceEnd] of pieces) {
      if (pieceEnd - pieceStart <= MAX_PIECE_CHARS) {
        if (isWhitespace(text.charCodeAt(pieceEnd - 1))) trailing.push([pieceStart, pieceEnd]);
        else {
          quietEnd = pieceEnd;
          trailing = [];
        }
        continue;
      }
      countGroup(pieceStart, false);
      for (let chunkStart = pieceStart; chunkStart < pieceEnd; ) {
        const chunkEnd = withoutSplitSurrogate(text, Math.min(pieceEnd, chunkStart + MAX_PIECE_CHARS), chunkStart);
        tokens += this.handToBpe(text.slice(chunkStart, chunkEnd));
        chunkStart = chunkEnd;
      }
      groupStart = pieceEnd;
      quietEnd = pieceEnd;
    }
    countGroup(stop, safe);
    return { tokens, end: stop };
  }
}

/**
 * Whether the o200k regex always cuts the text before `index`, and sees the same pieces before
 * it whether or not the text goes on. Two such places, checked against every alternative of the
 * pattern (`gpt-tokenizer/src/encodingParams/constants.ts`):
 * - a space after a non-space: no alternative takes a space after other characters (a space only
 *   leads a piece), and a non-space before the cut means no `\s+(?!\S)` looks across it;
 * - after `\n`, before a non-space other than `/` (a punctuation piece takes `[\r\n/]*`): the
 *   whitespace run is taken whole by `\s*[\r\n]+`, which comes before `\s+(?!\S)`.
 */
export function isSafeCut(text: string, index: number): boolean {
  const next = text.charCodeAt(index);
  const previous = text.charCodeAt(index - 1);
  if (next === 0x20) return !isWhitespace(previous);
  return previous === 0x0a && next !== 0x2f && !isWhitespace(next);
}

/** JavaScript's `\s`: WhiteSpace and LineTerminator code points. */
export function isWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}

/** `end`, or one before it when that would cut a surrogate pair (never back to `start`). */
function withoutSplitSurrogate(text: string, end: number, start: number): number {
  if (end >= text.length || end - 1 <= start) return end;
  const before = text.charCodeAt(end - 1);
  return before >= 0xd800 && before <= 0xdbff ? end - 1 : end;
}
