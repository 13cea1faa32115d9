import { compileCustomDetector } from './compile-custom-detector.ts';
import { detectCards } from './detect-card.ts';
import { detectEmails } from './detect-email.ts';
import { detectIbans } from './detect-iban.ts';
import { detectIps } from './detect-ip.ts';
import { createPhoneDetector } from './detect-phone.ts';
import { detectSecrets } from './detect-secrets.ts';
import { detectSsns } from './detect-ssn.ts';
import { BUILTIN_DETECTORS, type BuiltinDetector, type CustomDetectorSpec, type DetectorPass, type Finding, type PiiScanner } from './finding.ts';
import { resolveOverlaps } from './resolve-overlaps.ts';

/** What a scanner looks for. */
export interface PiiScannerOptions {
  /** Built-in detectors to run; all of them when omitted. */
  detectors?: readonly BuiltinDetector[];
  /** Operator-defined regex detectors, compiled once here. */
  custom?: readonly CustomDetectorSpec[];
  /** Country whose national phone formats are recognized without a `+` prefix (ISO 3166-1 alpha-2); default "US". */
  phoneDefaultCountry?: string;
}

/**
 * Builds a scanner: validates the options and compiles every detector once (throwing an Error that
 * names the bad detector or option), so that `scan` does no setup. `scan` runs each detector in
 * one pass over the text, each skipping quickly when the text lacks what it needs (an '@', a
 * digit, a keyword), and returns non-overlapping findings sorted by start (see resolveOverlaps).
 */
export function createPiiScanner(options: PiiScannerOptions = {}): PiiScanner {
  const builtins = [...new Set(options.detectors ?? BUILTIN_DETECTORS)];
  const passes: DetectorPass[] = builtins.map((detector) => builtinPass(detector, options.phoneDefaultCountry ?? 'US'));
  const priority = new Map<string, number>(BUILTIN_DETECTORS.map((detector, index) => [detector, index]));
  for (const spec of options.custom ?? []) {
    checkCustomName(spec, priority);
    passes.push(compileCustomDetector(spec));
    priority.set(spec.name, priority.size);
  }
  return {
    scan(text: string): Finding[] {
      const findings: Finding[] = [];
      for (const pass of passes) pass(text, findings);
      return resolveOverlaps(findings, priority);
    },
  };
}

function builtinPass(detector: BuiltinDetector, phoneDefaultCountry: string): DetectorPass {
  switch (detector) {
    case 'email':
      return detectEmails;
    case 'phone':
      return createPhoneDetector(phoneDefaultCountry);
    case 'card':
      return detectCards;
    case 'iban':
      return detectIbans;
    case 'ssn':
      return detectSsns;
    case 'ip':
      return detectIps;
    case 'secret':
      return detectSecrets;
    default:
      throw new Error(`unknown detector "${String(detector)}"; built-in detectors are ${BUILTIN_DETECTORS.join(', ')}`);
  }
}

const CUSTOM_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

function checkCustomName(spec: CustomDetectorSpec, taken: ReadonlyMap<string, number>): void {
  if (typeof spec.name !== 'string' || !CUSTOM_NAME.test(spec.name)) {
    throw new Error(`custom detector "${String(spec.name)}": name must start with a letter and hold only letters, digits, "_" or "-" (at most 64 characters)`);
  }
  if (taken.has(spec.name)) {
    throw new Error(`custom detector "${spec.name}": the name is already used by ${(BUILTIN_DETECTORS as readonly string[]).includes(spec.name) ? 'a built-in detector' : 'another custom detector'}; choose another name`);
  }
}
