import { DISCUSSION_CUES, DISCUSSION_CUES_NEEDED, type DiscussionCue } from './discussion-context.ts';
import type { InjectionSource } from './injection-types.ts';
import { DIRECTIVE_RULES } from './directive-rules.ts';
import { EXFILTRATION_RULES } from './exfiltration-rules.ts';
import { LEAK_RULES } from './leak-rules.ts';
import { MARKER_RULES } from './marker-rules.ts';
import { OVERRIDE_RULES } from './override-rules.ts';
import type { PhraseRule } from './phrase-rule.ts';
import { ROLE_PLAY_RULES } from './role-play-rules.ts';

/** Every phrase rule, in reporting order. */
export const PHRASE_RULES: readonly PhraseRule[] = [...OVERRIDE_RULES, ...ROLE_PLAY_RULES, ...LEAK_RULES, ...MARKER_RULES, ...DIRECTIVE_RULES, ...EXFILTRATION_RULES];

/** A rule that matched, in offsets of the text it ran on. */
export interface PhraseMatch {
  rule: PhraseRule;
  start: number;
  end: number;
  /** After the source's weight and the rule's grade; damping may lower it later. */
  weight: number;
  /** Set by damping: the text discusses injection, so this match is one of a topic's mentions. */
  discussed?: boolean;
}

/** What one scan of a text found. */
export interface PhraseScan {
  matches: PhraseMatch[];
  /** Distinct discussion cues seen, counted up to `DISCUSSION_CUES_NEEDED`. */
  discussionCues: number;
}

/** Matches of one rule beyond this add nothing to the score (the strongest counts). */
const MAX_MATCHES_PER_RULE = 8;
/** Below this a match is not worth reporting. */
const MIN_WEIGHT = 0.02;

/** Rule indices and cues per key. */
interface KeyEntry {
  rules: number[];
  cues: DiscussionCue[];
}

const KEYS = indexKeys();
/** Keys matched as whole words (`id_rsa` included); the rest are symbols, all starting with punctuation. */
const isWord = (key: string) => /^[a-z0-9_]+$/.test(key);
const byLength = (a: string, b: string) => b.length - a.length;
const escape = (key: string) => key.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** Whole-word keys and symbol keys are scanned separately: one alternation of both is markedly slower. */
const WORD_TRIGGER = new RegExp(`\\b(?:${[...KEYS.keys()].filter(isWord).sort(byLength).join('|')})\\b`, 'gi');
/** Characters that start symbol keys and are common in prose (`.env`, `/etc/passwd`): the character after them is looked at too. */
const COMMON_IN_PROSE = new Set(['.', '/']);
const SYMBOL_KEYS = [...KEYS.keys()].filter((key) => !isWord(key));
const SYMBOL_TRIGGER = new RegExp(SYMBOL_KEYS.sort(byLength).map(escape).join('|'), 'gi');
const mayHoldSymbolKey = symbolKeyPrefilter(SYMBOL_KEYS);

/**
 * Runs the phrase rules on `text` (already folded): one scan finds every key, and only the rules
 * of a found key are tried, anchored there; the same scan counts discussion cues. Work is linear in
 * the text: each try is bounded, and a rule stops once it has `MAX_MATCHES_PER_RULE` matches.
 */
export function matchPhraseRules(text: string, source: InjectionSource): PhraseScan {
  const scan = new Scan(text, source);
  scan.run(WORD_TRIGGER);
  if (mayHoldSymbolKey(text)) scan.run(SYMBOL_TRIGGER);
  return { matches: scan.matches, discussionCues: scan.cues.length };
}

/**
 * A cheap test that is true for every text holding a symbol key in any case (as SYMBOL_TRIGGER
 * matches them), so that prose, which seldom holds one, is spared the symbol scan: `includes` (at
 * memchr speed) for each first character rare in prose (`<`, `[`, `~`); for `.` and `/`, a look at
 * the character after each occurrence, ASCII-lower-cased.
 */
export function symbolKeyPrefilter(keys: readonly string[]): (text: string) => boolean {
  const rare = new Set<string>();
  const seconds = new Map<string, Set<number>>();
  for (const key of keys) {
    if (!COMMON_IN_PROSE.has(key[0]!) || key.length < 2) rare.add(key[0]!);
    else {
      let set = seconds.get(key[0]!);
      if (set === undefined) seconds.set(key[0]!, (set = new Set()));
      set.add(key.charCodeAt(1) | 0x20);
    }
  }
  const rareNeedles = [...rare];
  const leads = [...seconds];
  return (text) => {
    for (const needle of rareNeedles) if (text.includes(needle)) return true;
    for (const [lead, followers] of leads) {
      // `| 0x20` lower-cases an ASCII letter, and maps no other character onto a lower-case letter.
      for (let at = text.indexOf(lead); at !== -1; at = text.indexOf(lead, at + 1)) if (followers.has(text.charCodeAt(at + 1) | 0x20)) return true;
    }
    return false;
  };
}

/**
 * Per rule, matches so far and where the last one ended: shared by every scan (a scan runs to its
 * end synchronously and never starts another), reset when a scan starts; allocating two typed
 * arrays per scan cost more than the reset.
 */
const COUNTS = new Int32Array(PHRASE_RULES.length);
const REACHED_END = new Int32Array(PHRASE_RULES.length);

class Scan {
  readonly matches: PhraseMatch[] = [];
  readonly cues: string[] = [];
  private readonly counts = COUNTS;
  private readonly reachedEnd = REACHED_END;

  constructor(
    private readonly text: string,
    private readonly source: InjectionSource,
  ) {
    COUNTS.fill(0);
    REACHED_END.fill(0);
  }

  run(trigger: RegExp): void {
    trigger.lastIndex = 0;
    for (let found = trigger.exec(this.text); found !== null; found = trigger.exec(this.text)) {
      // Most keys occur in lower case; lower-casing only the others saves an allocation per hit.
      const entry = KEYS.get(found[0]) ?? KEYS.get(found[0].toLowerCase());
      if (entry === undefined) continue;
      for (const index of entry.rules) this.tryRule(index, found.index);
      if (this.cues.length < DISCUSSION_CUES_NEEDED) for (const cue of entry.cues) this.tryCue(cue, found.index);
    }
  }

  private tryRule(index: number, at: number): void {
    if (this.counts[index]! >= MAX_MATCHES_PER_RULE || at < this.reachedEnd[index]!) return;
    const rule = PHRASE_RULES[index]!;
    if (rule.guard !== undefined && !rule.guard(this.text, at)) return;
    rule.pattern.lastIndex = at;
    const match = rule.pattern.exec(this.text);
    if (match === null) return;
    const grade = rule.grade === undefined ? 1 : rule.grade(match, this.text, this.source);
    const weight = Math.min(1, rule.weight[this.source] * grade);
    if (weight < MIN_WEIGHT) return;
    const end = match.index + match[0].length;
    this.matches.push({ rule, start: match.index, end, weight });
    this.counts[index]!++;
    this.reachedEnd[index] = end;
  }

  private tryCue(cue: DiscussionCue, at: number): void {
    if (this.cues.includes(cue.id)) return;
    cue.pattern.lastIndex = at;
    if (cue.pattern.test(this.text)) this.cues.push(cue.id);
  }
}

function indexKeys(): Map<string, KeyEntry> {
  const keys = new Map<string, KeyEntry>();
  const entry = (key: string) => {
    let found = keys.get(key);
    if (found === undefined) keys.set(key, (found = { rules: [], cues: [] }));
    return found;
  };
  PHRASE_RULES.forEach((rule, index) => {
    for (const key of rule.keys) entry(key).rules.push(index);
  });
  for (const cue of DISCUSSION_CUES) for (const key of cue.keys) entry(key).cues.push(cue);
  return keys;
}
