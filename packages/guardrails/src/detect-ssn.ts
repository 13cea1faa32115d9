import type { Finding } from './finding.ts';

/**
 * US Social Security numbers. `AAA-GG-SSSS` anywhere; `AAA GG SSSS` or nine bare digits only
 * within a few words after "SSN" or "social security" (nine digits alone are as often a routing,
 * CUSIP or order number). Numbers the SSA never issues are skipped: area 000, 666 or 900–999,
 * group 00, serial 0000.
 */
export function detectSsns(text: string, findings: Finding[]): void {
  const dashed = /(?<![\w./-])(\d{3})-(\d{2})-(\d{4})(?![\w-]|[./]\d)/g;
  let match: RegExpExecArray | null;
  while ((match = dashed.exec(text)) !== null) {
    if (isIssuable(match[1]!, match[2]!, match[3]!)) findings.push({ detector: 'ssn', start: match.index, end: match.index + match[0].length, value: match[0] });
  }
  const keywords = /\b(?:ssns?|social security)\b/gi;
  while ((match = keywords.exec(text)) !== null) {
    const from = match.index + match[0].length;
    const number = /(?<![\w./-])(\d{3}) ?(\d{2}) ?(\d{4})(?![\w-]|[./]\d)/.exec(text.slice(from, from + CONTEXT_WINDOW));
    if (!number || number[0].length === 10) continue;
    const start = from + number.index;
    if (isIssuable(number[1]!, number[2]!, number[3]!)) findings.push({ detector: 'ssn', start, end: start + number[0].length, value: number[0] });
  }
}

/** How far after the keyword the number may be, in characters ("SSN on file is 123 45 6789"). */
const CONTEXT_WINDOW = 40;

function isIssuable(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}
