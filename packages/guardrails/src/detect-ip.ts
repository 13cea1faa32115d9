import { isIPv4, isIPv6 } from 'node:net';
import { isHexDigit, isWordCharacter } from './character-classes.ts';
import type { Finding } from './finding.ts';

/**
 * IP addresses, checked by Node's own parser (`net.isIPv4` / `net.isIPv6`). The value is the
 * address alone: a port (`:8080`), prefix length (`/24`) or brackets (`[2001:db8::1]:443`) stay
 * outside it. Kind 'ipv4' or 'ipv6'.
 * - IPv4: a dotted quad not glued to a word or another dot-number, and not a version
 *   (`v1.2.3.4`, "version 1.2.3.4", "1.25.10.2 release notes").
 * - IPv6: a run of hex digits, colons and dots that Node parses as IPv6, not glued to a word
 *   (`std::find`), with two hex groups at least (the loopback `::1` excepted) and not two short
 *   ones around `::` (`matrix[1::3]`); MAC addresses and times (`10:30:45`) do not parse.
 */
export function detectIps(text: string, findings: Finding[]): void {
  detectIpv4(text, findings);
  detectIpv6(text, findings);
}

/**
 * A dotted quad within four words of "version", "release", "build" or "firmware" is a version
 * number ("version 1.2.3.4", "1.25.10.2 release notes"). The cost: an address in a sentence about
 * versions ("upgraded to version 2.3 on 192.0.2.1") is missed.
 */
const VERSION_BEFORE = /\b(?:versions?|releases?|builds?|ver|firmware)\b\S*(?:\s+\S+){0,3}\s+$/i;
const VERSION_AFTER = /^\s*(?:\S+\s+){0,3}\S*?\b(?:versions?|releases?|builds?|firmware)\b/i;
const VERSION_WINDOW = 60;

/** The IPv4 half of `detectIps`. */
export function detectIpv4(text: string, findings: Finding[]): void {
  if (!text.includes('.')) return;
  const quads = /(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w]|\.\d)/g;
  let match: RegExpExecArray | null;
  while ((match = quads.exec(text)) !== null) {
    const value = match[0];
    const start = match.index;
    if (!isIPv4(value)) continue;
    if (text.charCodeAt(start - 1) === 45 && isWordCharacter(text.charCodeAt(start - 2))) continue;
    if (VERSION_BEFORE.test(text.slice(Math.max(0, start - VERSION_WINDOW), start))) continue;
    if (VERSION_AFTER.test(text.slice(start + value.length, start + value.length + VERSION_WINDOW))) continue;
    findings.push({ detector: 'ip', start, end: start + value.length, value, kind: 'ipv4' });
  }
}

const MAX_IPV6_LENGTH = 45;

/** The IPv6 half of `detectIps`. */
export function detectIpv6(text: string, findings: Finding[]): void {
  // From each colon, expand over hex digits, colons and dots; resume past the run, so every
  // character is read at most twice however the text is made.
  let floor = 0;
  for (let colon = text.indexOf(':'); colon !== -1; colon = text.indexOf(':', floor)) {
    let runStart = colon;
    while (runStart > floor && isAddressCharacter(text.charCodeAt(runStart - 1))) runStart--;
    let runEnd = colon + 1;
    while (runEnd < text.length && isAddressCharacter(text.charCodeAt(runEnd))) runEnd++;
    floor = runEnd;
    const run = text.slice(runStart, runEnd);
    if (run.indexOf(':') === run.lastIndexOf(':')) continue;
    const lead = run.startsWith(':') && !run.startsWith('::') ? 1 : 0;
    const start = runStart + lead;
    const value = trimRun(run.slice(lead));
    if (value.length < 3 || value.length > MAX_IPV6_LENGTH || !hasIpv6Boundaries(text, start, start + value.length)) continue;
    if (!isIPv6(value) || !looksLikeAddress(value)) continue;
    findings.push({ detector: 'ip', start, end: start + value.length, value, kind: 'ipv6' });
  }
}

function isAddressCharacter(code: number): boolean {
  return isHexDigit(code) || code === 58 || code === 46;
}

/** Sentence punctuation and a trailing single colon (before a port or in a list) are not part of the address. */
function trimRun(run: string): string {
  let value = run;
  while (value.endsWith('.')) value = value.slice(0, -1);
  if (value.endsWith(':') && !value.endsWith('::')) value = value.slice(0, -1);
  return value;
}

function hasIpv6Boundaries(text: string, start: number, end: number): boolean {
  return !isWordCharacter(text.charCodeAt(start - 1)) && !isWordCharacter(text.charCodeAt(end));
}

/**
 * Two hex groups at least, and not two short ones around `::` (`matrix[1::3]` is a slice); a lone
 * group only as the loopback `::1` (`nums[::2]` is a slice too).
 */
function looksLikeAddress(value: string): boolean {
  const groups = value.split(':').filter((group) => group.length > 0);
  if (groups.length <= 1) return value === '::1';
  return !(groups.length === 2 && !value.startsWith('::') && groups.every((group) => group.length <= 3));
}
