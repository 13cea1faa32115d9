import type { Finding, PiiScanner } from './finding.ts';
import { scoreInjection } from './injection/index.ts';
import type { InjectionSignal, InjectionSource } from './injection/index.ts';

/** Texts shorter than this are scanned each time: their scans cost little more than a memo lookup. */
const MIN_MEMO_LENGTH = 512;
/** Texts a memo keeps, and the characters they may hold in all. */
const MAX_MEMO_TEXTS = 4096;
const MAX_MEMO_CHARACTERS = 4_000_000;
/**
 * Texts kept under one fingerprint: texts of one length that differ only between the sampled
 * characters (templated ones) share it. Past this many, the oldest is forgotten: a collision costs
 * a miss, never a wrong answer, and no input more than this many comparisons.
 */
const MAX_TEXTS_PER_FINGERPRINT = 8;
/** A fingerprint reads this many characters at each end of a text, and as many spread evenly between. */
const FINGERPRINT_EDGE = 128;
const FINGERPRINT_SAMPLES = 128;

/** What the guardrails keep of a text's injection score: the score, and its signals each once in the order of their findings. */
export interface InjectionVerdict {
  score: number;
  signals: readonly InjectionSignal[];
}

const NO_SIGNALS: readonly InjectionSignal[] = Object.freeze([]);

/** `scoreInjection` as a verdict. */
export function injectionVerdict(text: string, source: InjectionSource): InjectionVerdict {
  const { score, findings } = scoreInjection(text, source);
  return { score, signals: findings.length === 0 ? NO_SIGNALS : Object.freeze([...new Set(findings.map((finding) => finding.signal))]) };
}

const NO_FINDINGS: readonly Finding[] = Object.freeze([]);

/** Findings shared by every request that holds the text, so frozen. */
function frozenScan(scanner: PiiScanner, text: string): readonly Finding[] {
  const findings = scanner.scan(text);
  if (findings.length === 0) return NO_FINDINGS;
  for (const finding of findings) Object.freeze(finding);
  return Object.freeze(findings);
}

/**
 * The scans of one text, each run when first asked for and then kept: PII findings per scanner
 * (a scanner is one detector configuration; a gateway mostly has one), an injection verdict per
 * source. Findings are frozen: every request that holds the text shares them.
 */
export class TextScans {
  #scanner: PiiScanner | undefined;
  #findings: readonly Finding[] = NO_FINDINGS;
  #otherScanners: Map<PiiScanner, readonly Finding[]> | undefined;
  #user: InjectionVerdict | undefined;
  #tool: InjectionVerdict | undefined;

  constructor(readonly text: string) {}

  /** `scanner.scan(text)`. */
  pii(scanner: PiiScanner): readonly Finding[] {
    if (this.#scanner === scanner) return this.#findings;
    if (this.#scanner === undefined) {
      this.#scanner = scanner;
      return (this.#findings = frozenScan(scanner, this.text));
    }
    this.#otherScanners ??= new Map();
    let findings = this.#otherScanners.get(scanner);
    if (findings === undefined) this.#otherScanners.set(scanner, (findings = frozenScan(scanner, this.text)));
    return findings;
  }

  /** `injectionVerdict(text, source)`. */
  injection(source: InjectionSource): InjectionVerdict {
    if (source === 'user') return (this.#user ??= Object.freeze(injectionVerdict(this.text, source)));
    return (this.#tool ??= Object.freeze(injectionVerdict(this.text, source)));
  }
}

/** The texts that share a fingerprint, and whether one was used since the clock hand last passed. */
interface Slot {
  texts: TextScans[];
  used: boolean;
}

/**
 * The scans of texts the guardrails saw lately: an agent resends its whole conversation on every
 * turn, so without a memo message n is scanned again on each later turn. Keyed by the exact text;
 * texts under `MIN_MEMO_LENGTH` are not kept. Past `MAX_MEMO_TEXTS` texts or `MAX_MEMO_CHARACTERS`
 * characters it forgets the least recently used, by the clock algorithm (a hit only sets a flag:
 * no reordering, no allocation). A text is found by a fingerprint of its length and a few hundred
 * of its characters, then confirmed by comparing the whole text: hashing every character costs
 * several microseconds for 4 KB (V8's string hash; zlib's CRC-32 with its UTF-8 copy), paid for
 * every new text, the common case. The memo holds its texts (and the values in them) in memory
 * until it forgets them.
 */
export class ScanMemo {
  readonly #slots = new Map<number, Slot>();
  /** Fingerprints in the order the clock hand visits them, from `#hand` on. */
  #clock: number[] = [];
  #hand = 0;
  #texts = 0;
  #characters = 0;

  /** The scans of `text`: those remembered, or new ones (remembered when the text is long enough). */
  scansOf(text: string): TextScans {
    if (text.length < MIN_MEMO_LENGTH) return new TextScans(text);
    const key = fingerprint(text);
    let slot = this.#slots.get(key);
    if (slot !== undefined) {
      for (const scans of slot.texts) {
        if (scans.text === text) {
          slot.used = true;
          return scans;
        }
      }
    } else {
      this.#slots.set(key, (slot = { texts: [], used: false }));
      this.#clock.push(key);
    }
    const scans = new TextScans(text);
    slot.texts.push(scans);
    this.#texts++;
    this.#characters += text.length;
    if (slot.texts.length > MAX_TEXTS_PER_FINGERPRINT) this.#forget(slot.texts.shift()!);
    this.#evict();
    return scans;
  }

  /** Texts remembered. */
  get size(): number {
    return this.#texts;
  }

  /** Sweeps the clock hand: a slot used since its last visit is spared once, the others forgotten, until within bounds. */
  #evict(): void {
    while (this.#texts > MAX_MEMO_TEXTS || this.#characters > MAX_MEMO_CHARACTERS) {
      const key = this.#clock[this.#hand++]!;
      const slot = this.#slots.get(key)!;
      if (slot.used) {
        slot.used = false;
        this.#clock.push(key);
      } else {
        this.#slots.delete(key);
        for (const scans of slot.texts) this.#forget(scans);
      }
    }
    if (this.#hand > 1024 && this.#hand * 2 > this.#clock.length) {
      this.#clock = this.#clock.slice(this.#hand);
      this.#hand = 0;
    }
  }

  #forget(scans: TextScans): void {
    this.#texts--;
    this.#characters -= scans.text.length;
  }
}

/** A small integer (the cheapest Map key), FNV-1a over the length, both ends and evenly spread characters. */
function fingerprint(text: string): number {
  const length = text.length;
  let hash = Math.imul(0x811c9dc5 ^ length, 0x01000193);
  const head = Math.min(length, FINGERPRINT_EDGE);
  for (let index = 0; index < head; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  for (let index = Math.max(head, length - FINGERPRINT_EDGE); index < length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  const step = length / FINGERPRINT_SAMPLES;
  for (let sample = 0; sample < FINGERPRINT_SAMPLES; sample++) hash = Math.imul(hash ^ text.charCodeAt(Math.floor(sample * step)), 0x01000193);
  return hash & 0x3fffffff;
}
