import { isAlphanumeric, isAsciiLetter, isSpace } from './character-classes.ts';
import type { Finding } from './finding.ts';

/**
 * Email addresses: `local@domain.tld`, found by expanding around each '@' (no regex, so a text of
 * a million '@' or letters stays linear). The local part takes the characters people write
 * (letters, digits, `. _ % + -`), at most 64; the domain at least two dot-separated labels ending
 * in an alphabetic TLD (so `react@18.3.1` and `admin@192.0.2.1` are not addresses). An address in
 * a URL's user-info (`https://token@host`) is a credential, not an address, and is left alone.
 */
export function detectEmails(text: string, findings: Finding[]): void {
  let floor = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    if (!isLocalCharacter(text.charCodeAt(at - 1)) || !isAlphanumeric(text.charCodeAt(at + 1))) continue;
    const start = expandLocalPart(text, at, floor);
    const end = expandDomain(text, at);
    floor = at + 1;
    if (start === -1 || end === -1 || isUrlUserInfo(text, start)) continue;
    findings.push({ detector: 'email', start, end, value: text.slice(start, end) });
    floor = end;
  }
}

const MAX_LOCAL_LENGTH = 64;
const MAX_DOMAIN_LENGTH = 253;

function isLocalCharacter(code: number): boolean {
  return isAlphanumeric(code) || code === 46 || code === 95 || code === 37 || code === 43 || code === 45;
}

function isDomainCharacter(code: number): boolean {
  return isAlphanumeric(code) || code === 46 || code === 45;
}

/** Start of the local part ending before `at`, or -1 when there is none or it is not one. */
function expandLocalPart(text: string, at: number, floor: number): number {
  let start = at;
  while (start > floor && isLocalCharacter(text.charCodeAt(start - 1))) {
    start--;
    if (at - start > MAX_LOCAL_LENGTH) return -1;
  }
  while (start < at && text.charCodeAt(start) === 46) start++;
  if (start === at || text.charCodeAt(at - 1) === 46 || text.slice(start, at).includes('..')) return -1;
  return start;
}

/** End of a valid domain starting after `at`, or -1. Trailing dots and hyphens are sentence punctuation. */
function expandDomain(text: string, at: number): number {
  let end = at + 1;
  while (end < text.length && isDomainCharacter(text.charCodeAt(end))) {
    end++;
    if (end - at > MAX_DOMAIN_LENGTH + 1) return -1;
  }
  while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
  return isValidDomain(text.slice(at + 1, end)) ? end : -1;
}

function isValidDomain(domain: string): boolean {
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  for (const label of labels) {
    if (label.length === 0 || label.length > 63 || label.startsWith('-') || label.endsWith('-')) return false;
  }
  const topLevel = labels[labels.length - 1] ?? '';
  if (topLevel.length < 2) return false;
  for (let i = 0; i < topLevel.length; i++) if (!isAsciiLetter(topLevel.charCodeAt(i))) return false;
  return true;
}

/** Whether the address at `start` sits in a URL's authority, as in `https://user@host`. */
function isUrlUserInfo(text: string, start: number): boolean {
  let index = start - 1;
  const limit = Math.max(0, start - 256);
  while (index >= limit && index >= 2) {
    const code = text.charCodeAt(index);
    if (code === 47) return text.charCodeAt(index - 1) === 47 && text.charCodeAt(index - 2) === 58;
    if (isSpace(code)) return false;
    index--;
  }
  return false;
}
