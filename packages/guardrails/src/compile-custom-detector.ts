import type { CustomDetectorSpec, DetectorPass } from './finding.ts';

/**
 * Compiles an operator's custom detector once, at config load. Refuses, with an Error naming the
 * detector and the fix: a missing name or pattern, an invalid regex or flag, the sticky flag, and a
 * pattern that can match the empty string (it would find nothing useful and, unguarded, never
 * advance). `g` is added. The pattern is the operator's: its own backtracking cost is theirs to keep
 * linear (the scanner cannot bound an arbitrary regex).
 */
export function compileCustomDetector(spec: CustomDetectorSpec): DetectorPass {
  const name = String(spec.name);
  const fail = (why: string): never => {
    throw new Error(`custom detector "${name}": ${why}`);
  };
  if (typeof spec.pattern !== 'string' || spec.pattern.length === 0) fail('pattern is empty, so it matches the empty string; give a regular expression source such as "EMP-\\d{6}"');
  const flags = spec.flags ?? '';
  if (flags.includes('y')) fail('flag "y" (sticky) is not allowed: the scanner searches the whole text');
  const compiled = compile(spec.pattern, `${flags.replaceAll('g', '')}g`, fail);
  if (matchesEmpty(compiled)) fail(`pattern /${spec.pattern}/ can match the empty string; make every match consume at least one character (e.g. "+" instead of "*")`);
  const detector = name;
  return (text, findings) => {
    // Scans are synchronous, so one compiled regex serves them all: reset, then run to the end.
    const pattern = compiled;
    pattern.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(text)) !== null) {
      const value = match[0];
      if (value.length === 0) {
        pattern.lastIndex++;
        continue;
      }
      findings.push({ detector, start: match.index, end: match.index + value.length, value });
    }
  };
}

function compile(pattern: string, flags: string, fail: (why: string) => never): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    return fail(`invalid regular expression /${pattern}/${flags.replace('g', '')}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Probes with texts whose every position a zero-width pattern (`a*`, `\b`, `(?=x)`, `^`) would match at. */
const EMPTY_PROBES = ['', 'a', ' ', '0', 'Az09 _-.@:/\n\t\u00e9'];

function matchesEmpty(compiled: RegExp): boolean {
  const pattern = new RegExp(compiled);
  for (const probe of EMPTY_PROBES) {
    pattern.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(probe)) !== null) {
      if (match[0].length === 0) return true;
      if (pattern.lastIndex >= probe.length) break;
    }
  }
  return false;
}
