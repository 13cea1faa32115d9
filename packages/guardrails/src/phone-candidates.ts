import { isAlphanumeric, isDigit, isWordCharacter } from './character-classes.ts';

/** One run of digits inside a phone candidate. */
export interface DigitGroup {
  start: number;
  end: number;
}

/**
 * A shape that may be a phone number: digit groups joined by the separators people put in phone
 * numbers (spaces, one of `- . / ( )`), optionally led by '+' or '('. detect-phone.ts decides
 * whether it is one.
 */
export interface PhoneCandidate {
  start: number;
  groups: DigitGroup[];
  /** `separators[i]` is the text between `groups[i]` and `groups[i + 1]`. */
  separators: string[];
  /** Ends at which the candidate may be cut, longest first: the last group's end when the run stops there, and every group end followed by a space. */
  cuts: number[];
}

/** E.164's maximum. A longer run (a card, an account number) is not cut into phone numbers. */
const MAX_DIGITS = 15;
const MAX_GROUPS = 8;
const MAX_SEPARATOR_LENGTH = 3;
const PLUS = 43;
const OPEN = 40;
const CLOSE = 41;

/**
 * Calls `visit` for each phone-shaped candidate in `text`, left to right. Each character is read a
 * bounded number of times (a run longer than any phone number is skipped whole), so a megabyte of
 * digits costs linear time.
 */
export function forEachPhoneCandidate(text: string, visit: (candidate: PhoneCandidate) => void): void {
  // A regex finds the stretches of digits and separators long enough to hold a phone number; the
  // character-level reading below only ever runs inside them (prose has few).
  const regions = /\d[\d().\/\u00a0 -]{6,}/g;
  let region: RegExpExecArray | null;
  while ((region = regions.exec(text)) !== null) {
    const regionEnd = region.index + region[0].length;
    let index = region.index;
    while (index < regionEnd) {
      if (!isDigit(text.charCodeAt(index))) {
        index++;
        continue;
      }
      index = visitCandidateAt(text, index, visit);
    }
    regions.lastIndex = Math.max(regions.lastIndex, index);
  }
}

/** Reads the candidate whose first digit is at `first`, visits it if it may be a number, and returns where to go on reading. */
function visitCandidateAt(text: string, first: number, visit: (candidate: PhoneCandidate) => void): number {
  const lead = text.charCodeAt(first - 1);
  const start = lead === PLUS || lead === OPEN ? first - 1 : first;
  if (!hasLeftBoundary(text, start)) return skipToken(text, first);
  // Most numbers in prose are short (years, counts, versions): measure before allocating anything.
  const { end, digitCount } = measureRun(text, first);
  if (digitCount < MIN_CANDIDATE_DIGITS) return end;
  const candidate = readCandidate(text, start, first);
  if (candidate.cuts.length > 0) visit(candidate);
  return Math.max(candidate.scannedTo, first + 1);
}

/** No numbering plan has shorter numbers worth reporting. */
const MIN_CANDIDATE_DIGITS = 7;

/** End and digit count of the run of digit groups and separators starting at `first`. */
function measureRun(text: string, first: number): { end: number; digitCount: number } {
  let index = first;
  let digitCount = 0;
  for (;;) {
    while (index < text.length && isDigit(text.charCodeAt(index))) {
      index++;
      digitCount++;
    }
    const separatorEnd = readSeparator(text, index);
    if (separatorEnd === index || !isDigit(text.charCodeAt(separatorEnd))) return { end: index, digitCount };
    index = separatorEnd;
  }
}

/**
 * Whether a number may start at `start`: not glued to a word, version, path, time, amount or
 * reference (`v1.2`, `/24`, `:07`, `#123`, `$100`). A colon may precede a `+` number (`tel:+44…`).
 */
function hasLeftBoundary(text: string, start: number): boolean {
  if (start === 0) return true;
  const code = text.charCodeAt(start - 1);
  if (isWordCharacter(code)) return false;
  if (code === 58) return text.charCodeAt(start) === PLUS;
  return !NOT_BEFORE.has(code);
}

/** What may follow a phone number: not a word character, and not `.5`, `-2`, `:07`, `/24`, `,000` (decimals, dates, times, ranges). */
function hasRightBoundary(text: string, end: number): boolean {
  const code = text.charCodeAt(end);
  if (isWordCharacter(code)) return false;
  if (NOT_BEFORE_DIGIT.has(code)) return !isDigit(text.charCodeAt(end + 1));
  return true;
}

const codes = (characters: string) => new Set([...characters].map((character) => character.charCodeAt(0)));
const NOT_BEFORE = codes('.-/#$€£+@,');
const NOT_BEFORE_DIGIT = codes('.-:/,');

/** Index past the alphanumeric token containing `index`. */
function skipToken(text: string, index: number): number {
  let end = index;
  while (end < text.length && isAlphanumeric(text.charCodeAt(end))) end++;
  return end;
}

/** Reads groups and separators from `first`; stops at the first character that continues neither. */
function readCandidate(text: string, start: number, first: number): PhoneCandidate & { scannedTo: number } {
  const groups: DigitGroup[] = [];
  const separators: string[] = [];
  let index = first;
  let digitCount = 0;
  let overflow = false;
  for (;;) {
    const groupStart = index;
    while (index < text.length && isDigit(text.charCodeAt(index))) index++;
    digitCount += index - groupStart;
    if (digitCount > MAX_DIGITS || groups.length === MAX_GROUPS) {
      overflow = true;
      break;
    }
    groups.push({ start: groupStart, end: index });
    const separatorEnd = readSeparator(text, index);
    if (separatorEnd === index || !isDigit(text.charCodeAt(separatorEnd))) break;
    separators.push(text.slice(index, separatorEnd));
    index = separatorEnd;
  }
  const cuts: number[] = [];
  const last = groups[groups.length - 1];
  if (!overflow && last) {
    if (hasRightBoundary(text, last.end)) cuts.push(last.end);
    for (let i = groups.length - 2; i >= 0; i--) if (separators[i]?.includes(' ')) cuts.push(groups[i]!.end);
  }
  return { start, groups, separators, cuts, scannedTo: overflow ? skipRun(text, index) : Math.max(index, first + 1) };
}

/** Up to three characters between two digit groups: spaces and at most one of `- . / ( )`. */
function readSeparator(text: string, index: number): number {
  let end = index;
  let marks = 0;
  while (end < text.length && end - index < MAX_SEPARATOR_LENGTH) {
    const code = text.charCodeAt(end);
    if (code === 32 || code === 160) end++;
    else if (marks === 0 && (code === 45 || code === 46 || code === 47 || code === OPEN || code === CLOSE)) {
      marks++;
      end++;
    } else break;
  }
  return end;
}

/** Index past a run of digits and separators too long to be a phone number. */
function skipRun(text: string, index: number): number {
  let end = index;
  for (;;) {
    while (end < text.length && isDigit(text.charCodeAt(end))) end++;
    const separatorEnd = readSeparator(text, end);
    if (separatorEnd === end || !isDigit(text.charCodeAt(separatorEnd))) return end;
    end = separatorEnd;
  }
}
