import { electronicFormatIBAN, getCountrySpecifications, isValidIBAN } from 'ibantools';
import { isAlphanumeric, isDigit, isUpper } from './character-classes.ts';
import type { Finding } from './finding.ts';

/**
 * IBANs, printed (`GB82 WEST 1234 5698 7654 32`) or electronic (`GB82WEST12345698765432`): a
 * country code, two check digits, then exactly as many characters as that country's IBAN has
 * (from ibantools' registry), in groups of four when spaced. ibantools then checks the country's
 * BBAN format and the mod-97 checksum, so an IBAN with one wrong digit is not found. Upper case only,
 * as IBANs are printed.
 */
export function detectIbans(text: string, findings: Finding[]): void {
  const starts = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}/g;
  let match: RegExpExecArray | null;
  while ((match = starts.exec(text)) !== null) {
    const start = match.index;
    const length = IBAN_LENGTHS.get(match[0].slice(0, 2));
    if (length === undefined) continue;
    const end = readIban(text, start, length);
    if (end === -1) continue;
    const value = text.slice(start, end);
    if (!isValidIBAN(electronicFormatIBAN(value) ?? '')) continue;
    findings.push({ detector: 'iban', start, end, value });
    starts.lastIndex = end;
  }
}

const IBAN_LENGTHS = new Map(
  Object.entries(getCountrySpecifications()).flatMap(([country, spec]) => (spec.chars ? [[country, spec.chars] as const] : [])),
);

/** End of an IBAN of `length` characters starting at `start` (single spaces allowed between groups of four), or -1. */
function readIban(text: string, start: number, length: number): number {
  let index = start + 4;
  let count = 4;
  while (count < length && index < text.length) {
    const code = text.charCodeAt(index);
    if (isUpper(code) || isDigit(code)) {
      count++;
      index++;
    } else if (code === 32 && count % 4 === 0 && isAlphanumeric(text.charCodeAt(index + 1))) {
      index++;
    } else {
      return -1;
    }
  }
  return count === length && !isAlphanumeric(text.charCodeAt(index)) ? index : -1;
}
