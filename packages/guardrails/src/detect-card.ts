import { cardBrand, passesLuhn } from './card-brands.ts';
import { isDigit, isWordCharacter } from './character-classes.ts';
import type { Finding } from './finding.ts';

/**
 * Payment card numbers: 13–19 digits, unbroken or in the groupings cards are printed in (fours
 * with a shorter last group, as 4-4-4-4 or 4-4-4-2; 4-6-5; 4-6-4) with one space or hyphen between
 * groups, that pass the Luhn check and start like a known brand (the finding's kind). A grouped
 * run that goes on in four-digit groups (a 22-digit tracking number) is not cut into a card.
 */
export function detectCards(text: string, findings: Finding[]): void {
  // Only stretches of 13+ digits, spaces and hyphens can hold a card; a regex finds them in one pass.
  const regions = /\d[\d -]{12,}/g;
  let region: RegExpExecArray | null;
  while ((region = regions.exec(text)) !== null) {
    const regionEnd = region.index + region[0].length;
    let index = region.index;
    while (index < regionEnd) {
      if (!isDigit(text.charCodeAt(index))) {
        index++;
        continue;
      }
      const start = index;
      const { end, digitCount } = measureRun(text, start);
      index = end;
      if (digitCount < MIN_DIGITS || !hasLeftBoundary(text, start)) continue;
      const card = longestCard(text, start, readGroups(text, start));
      if (card) findings.push(card);
    }
    regions.lastIndex = Math.max(regions.lastIndex, index);
  }
}

const MIN_DIGITS = 13;
const MAX_DIGITS = 19;
/** Printed groupings: fours with a shorter last group, and the 4-6-5 / 4-6-4 of Amex and Diners. */
const GROUPINGS = /^(?:4,){3}[1-4]$|^(?:4,){4}[1-3]$|^4,6,[45]$/;

interface Groups {
  /** End index of each group. */
  ends: number[];
  lengths: number[];
  separator: string;
}

function hasLeftBoundary(text: string, start: number): boolean {
  const code = text.charCodeAt(start - 1);
  return !isWordCharacter(code) && code !== 45 && code !== 46 && code !== 47;
}

/** Digit groups from `start` joined by one repeated separator (' ' or '-'), up to a few past 19 digits. */
function readGroups(text: string, start: number): Groups {
  const ends: number[] = [];
  const lengths: number[] = [];
  let separator = '';
  let index = start;
  let total = 0;
  for (;;) {
    const groupStart = index;
    while (index < text.length && isDigit(text.charCodeAt(index))) index++;
    ends.push(index);
    lengths.push(index - groupStart);
    total += index - groupStart;
    const next = text[index];
    if (total > MAX_DIGITS || (next !== ' ' && next !== '-') || (separator !== '' && next !== separator) || !isDigit(text.charCodeAt(index + 1))) break;
    separator = next;
    index++;
  }
  return { ends, lengths, separator };
}

/** End and digit count of the run of digits joined by single spaces or hyphens that starts at `start`; most runs in prose are far too short to be a card. */
function measureRun(text: string, start: number): { end: number; digitCount: number } {
  let end = start;
  let digitCount = 0;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    if (isDigit(code)) digitCount++;
    else if (!((code === 32 || code === 45) && isDigit(text.charCodeAt(end + 1)) && end > start)) break;
    end++;
  }
  return { end, digitCount };
}

/** The longest prefix of the groups that is a valid card, trying fewer groups when more fail. */
function longestCard(text: string, start: number, groups: Groups): Finding | undefined {
  for (let count = groups.lengths.length; count >= 1; count--) {
    const lengths = groups.lengths.slice(0, count);
    const total = lengths.reduce((sum, length) => sum + length, 0);
    if (total < MIN_DIGITS || total > MAX_DIGITS) continue;
    if (count > 1 && !GROUPINGS.test(lengths.join(','))) continue;
    const end = groups.ends[count - 1]!;
    if (!hasRightBoundary(text, end, groups, count)) continue;
    const value = text.slice(start, end);
    const digits = count > 1 ? value.replaceAll(groups.separator, '') : value;
    const brand = cardBrand(digits);
    if (brand && passesLuhn(digits)) return { detector: 'card', start, end, value, kind: brand };
  }
  return undefined;
}

/** After the number: no word character or decimal, and a grouped number must not go on in another four-digit group. */
function hasRightBoundary(text: string, end: number, groups: Groups, count: number): boolean {
  const code = text.charCodeAt(end);
  if (isWordCharacter(code)) return false;
  if ((code === 46 || code === 44) && isDigit(text.charCodeAt(end + 1))) return false;
  if (count === groups.lengths.length) return true;
  // A lone unbroken number may be followed by other numbers (an expiry); a grouped one may not go on in fours.
  if (count === 1) return groups.separator === ' ';
  return groups.lengths[count] !== 4;
}
