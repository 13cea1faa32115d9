import { compileCustomDetector } from './compile-custom-detector.ts';
import { detectCards } from './detect-card.ts';
import { detectEmails } from './detect-email.ts';
import { detectIbans } from './detect-iban.ts';
import { detectIpv4, detectIpv6 } from './detect-ip.ts';
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
  const passes: DetectorPass[] = [];
  const digitPasses: DetectorPass[] = [];
  for (const detector of builtins) builtinPasses(detector, options.phoneDefaultCountry ?? 'US', passes, digitPasses);
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
      if (digitPasses.length > 0 && hasDigit(text)) for (const pass of digitPasses) pass(text, findings);
      return resolveOverlaps(findings, priority);
    },
  };
}

/**
 * Adds a built-in detector's passes: to `digitPasses` those that cannot find anything in a text
 * without an ASCII digit (cards, IBANs, SSNs, phone numbers, IPv4 addresses), to `passes` the others.
 */
function builtinPasses(detector: BuiltinDetector, phoneDefaultCountry: string, passes: DetectorPass[], digitPasses: DetectorPass[]): void {
  switch (detector) {
    case 'email':
      return void passes.push(detectEmails);
    case 'phone':
      return void digitPasses.push(createPhoneDetector(phoneDefaultCountry));
    case 'card':
      return void digitPasses.push(detectCards);
    case 'iban':
      return void digitPasses.push(detectIbans);
    case 'ssn':
      return void digitPasses.push(detectSsns);
    case 'ip':
      // An IPv6 address may be written without a decimal digit (`fe::beef`).
      passes.push(detectIpv6);
      return void digitPasses.push(detectIpv4);
    case 'secret':
      return void passes.push(detectSecrets);
    default:
      throw new Error(`unknown detector "${String(detector)}"; built-in detectors are ${BUILTIN_DETECTORS.join(', ')}`);
  }
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/**
 * Whether `text` holds an ASCII digit: ten `includes`, each at memchr speed, cost less than one
 * regex pass for `\d` and spare prose without numbers the passes that need one.
 */
function hasDigit(text: string): boolean {
  for (const digit of DIGITS) if (text.includes(digit)) return true;
  return false;
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
