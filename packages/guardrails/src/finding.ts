/** The detectors built into the guardrails package, by the name a config or a finding uses. */
export type BuiltinDetector = 'email' | 'phone' | 'card' | 'iban' | 'ssn' | 'ip' | 'secret';

/** Every built-in detector, in the order of priority used to break ties between overlapping findings. */
export const BUILTIN_DETECTORS: readonly BuiltinDetector[] = ['secret', 'card', 'iban', 'ssn', 'email', 'ip', 'phone'];

/** One detected value in a scanned text. Offsets are UTF-16 code unit indexes, as `String.prototype.slice` takes them. */
export interface Finding {
  /** The detector that found it: a `BuiltinDetector` or a custom detector's name. */
  detector: string;
  /** Index of the first code unit of the value. */
  start: number;
  /** Index one past the last code unit of the value. */
  end: number;
  /** The matched text: `text.slice(start, end)`. */
  value: string;
  /** Sub-kind: 'ipv4' | 'ipv6'; a card brand ('visa', 'amex', …); a secret kind ('jwt', 'aws_access_key', 'openai_key', …). */
  kind?: string;
}

/** A detector an operator adds by config: a regular expression whose every match is a finding named `name`. */
export interface CustomDetectorSpec {
  /** The finding's `detector`; must not be a built-in detector's name or another custom detector's. */
  name: string;
  /** JavaScript regular expression source. It must not match the empty string. */
  pattern: string;
  /** Regular expression flags (`i`, `m`, `s`, `u`, `v`); `g` is added, `y` is refused. */
  flags?: string;
}

/** Finds values in a text; built once from options, then used for every scan. */
export interface PiiScanner {
  /** Findings sorted by `start`, never overlapping (see resolveOverlaps for which one wins). */
  scan(text: string): Finding[];
}

/** One detector's pass over a text: pushes what it finds, in any order, onto `findings`. */
export type DetectorPass = (text: string, findings: Finding[]) => void;
