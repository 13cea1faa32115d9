import { isSupportedCountry, Metadata, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { DetectorPass, Finding } from './finding.ts';
import { forEachPhoneCandidate, type PhoneCandidate } from './phone-candidates.ts';

/**
 * Phone numbers, validated by libphonenumber-js with its full ("max") metadata, so a number must
 * fit a real numbering plan, not just have the right length. Rules that keep order numbers, dates,
 * versions and IPs out:
 * - `+` and a country code: valid for that country, or of a possible length for it (fictional and
 *   newly allocated ranges, such as the UK's 07700 900xxx, are numbers too);
 * - otherwise a national number of `defaultCountry`, valid there, written in groups
 *   (`(415) 555-0132`, `415.555.0132`) — an unbroken run of digits counts only after a word such as
 *   "phone", "call" or "mobile" a few words earlier, since `order 4155550123` is more often not one;
 * - never a date (`2024-11-05`, `05/11/2024`), a dotted quad (`10.0.0.1`), or a run glued to a word,
 *   version, time or amount (see phone-candidates.ts).
 */
export function createPhoneDetector(defaultCountry: string): DetectorPass {
  if (!isSupportedCountry(defaultCountry)) {
    throw new Error(`phone detector: phoneDefaultCountry "${defaultCountry}" is not an ISO 3166-1 alpha-2 code libphonenumber-js knows (e.g. "US", "GB")`);
  }
  const country = defaultCountry as CountryCode;
  const plan = { country, nationalLengths: nationalDigitCounts(country) };
  const verdicts = new VerdictCache(VERDICT_CACHE_SIZE);
  return (text: string, findings: Finding[]) => {
    forEachPhoneCandidate(text, (candidate) => {
      for (const end of candidate.cuts) {
        if (isPhoneNumber(text, candidate, end, plan, verdicts)) {
          findings.push({ detector: 'phone', start: candidate.start, end, value: text.slice(candidate.start, end) });
          return;
        }
      }
    });
  };
}

const MIN_DIGITS = 7;
const MAX_DIGITS = 15;
const PHONE_CONTEXT = /\b(?:phone|tel|telephone|call|calls|called|mobile|cell|cellphone|sms|fax|whatsapp|dial|ring)\b/i;
const CONTEXT_WINDOW = 40;

/**
 * How many libphonenumber verdicts a detector remembers. Parsing costs 10–20 µs per candidate, and
 * an agent re-sends its whole history every turn, so the same numbers come back call after call.
 */
const VERDICT_CACHE_SIZE = 4096;

interface NumberingPlan {
  country: CountryCode;
  /** Digit counts a national number of the country can have as written: its possible lengths, plus up to two for a trunk prefix ("1-800…", "020…"). */
  nationalLengths: ReadonlySet<number>;
}

/** From libphonenumber-js's metadata, so that a candidate of an impossible length (a 9-digit SSN under "US") costs no parse. */
function nationalDigitCounts(country: CountryCode): ReadonlySet<number> {
  const metadata = new Metadata();
  metadata.selectNumberingPlan(country);
  const lengths = metadata.numberingPlan?.possibleLengths() ?? [];
  return new Set(lengths.flatMap((length) => [length, length + 1, length + 2]));
}

function isPhoneNumber(text: string, candidate: PhoneCandidate, end: number, plan: NumberingPlan, verdicts: VerdictCache): boolean {
  const groups = candidate.groups.filter((group) => group.end <= end);
  const digitCount = groups.reduce((sum, group) => sum + group.end - group.start, 0);
  if (digitCount < MIN_DIGITS || digitCount > MAX_DIGITS) return false;
  const separators = candidate.separators.slice(0, groups.length - 1);
  if (isDottedQuad(groups, separators) || startsWithDate(groups, separators)) return false;
  const value = text.slice(candidate.start, end);
  const international = text.charCodeAt(candidate.start) === 43;
  if (!international) {
    if (!plan.nationalLengths.has(digitCount)) return false;
    if (groups.length === 1 && !PHONE_CONTEXT.test(text.slice(Math.max(0, candidate.start - CONTEXT_WINDOW), candidate.start))) return false;
  }
  let verdict = verdicts.get(value);
  if (verdict === undefined) {
    verdict = international ? isInternationalNumber(value) : parsePhoneNumberFromString(value, { defaultCountry: plan.country, extract: false })?.isValid() === true;
    verdicts.set(value, verdict);
  }
  return verdict;
}

function isInternationalNumber(value: string): boolean {
  const number = parsePhoneNumberFromString(value, { extract: false });
  return number !== undefined && (number.isValid() || number.isPossible());
}

/** A bounded map that forgets the least recently used entry first. */
class VerdictCache {
  private readonly entries = new Map<string, boolean>();

  constructor(private readonly capacity: number) {}

  get(key: string): boolean | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: boolean): void {
    // A slice of a prompt can keep the whole prompt alive in V8; store a copy of the key's own.
    this.entries.set(Buffer.from(key, 'utf8').toString('utf8'), value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** `10.0.0.1`: four dot-joined groups of one to three digits is an IPv4 address. */
function isDottedQuad(groups: { start: number; end: number }[], separators: string[]): boolean {
  return groups.length >= 4 && separators.slice(0, 3).every((separator) => separator === '.') && groups.slice(0, 4).every((group) => group.end - group.start <= 3);
}

/** `2024-11-05`, `05/11/2024`, `5.11.24`: three groups joined by the same mark, as a date is written. */
function startsWithDate(groups: { start: number; end: number }[], separators: string[]): boolean {
  if (groups.length < 3) return false;
  const [first, second, third] = groups.slice(0, 3).map((group) => group.end - group.start) as [number, number, number];
  const [a, b] = separators as [string, string];
  if (a !== b || !['-', '/', '.'].includes(a)) return false;
  if (first === 4) return second <= 2 && third <= 2;
  return first <= 2 && second <= 2 && (third === 2 || third === 4);
}
