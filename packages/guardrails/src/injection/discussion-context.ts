import type { InjectionSignal } from './injection-types.ts';
import type { PhraseMatch } from './match-phrase-rules.ts';
import { _ } from './phrase-rule.ts';

/**
 * Damping for text that talks *about* injection: a security article quoting "ignore previous
 * instructions", a question about how DAN prompts work. Two signs, each lowering phrase matches:
 * the text uses the vocabulary of discussion (two or more distinct cues), and the phrase sits
 * inside quotation marks. An attacker can dress a payload up the same way; hidden characters,
 * encoded payloads, orders addressed to the AI and exfiltration are never damped by topic, and a
 * damped match still counts, at a lower weight.
 */

/** Weight factor for phrase matches in a text that discusses injection. */
export const DISCUSSION_FACTOR = 0.4;
/** Weight factor for a phrase match inside quotation marks. */
export const QUOTED_FACTOR = 0.5;
/** Distinct cues that make a text a discussion. */
export const DISCUSSION_CUES_NEEDED = 2;

/** A word of discussion vocabulary; the phrase scan finds its keys with the rules' keys. */
export interface DiscussionCue {
  id: string;
  keys: readonly string[];
  /** Sticky, case-insensitive; tried at the key. */
  pattern: RegExp;
}

const R = String.raw;
const cue = (id: string, keys: string, pattern: string): DiscussionCue => ({ id, keys: keys.split(' '), pattern: new RegExp(pattern, 'iy') });

/** The vocabulary of writing *about* injection; two distinct cues make a text a discussion. */
export const DISCUSSION_CUES: readonly DiscussionCue[] = [
  cue('injection', 'injection injections', R`injections?\b`),
  cue('jailbreak', 'jailbreak jailbreaks jailbreaking', R`jailbreak`),
  cue('attack', 'attack attacks attacker attackers', R`attack`),
  cue('researcher', 'researcher researchers', R`researcher`),
  cue('vulnerability', 'vulnerability vulnerabilities', R`vulnerabilit`),
  cue('exploit', 'exploit exploits', R`exploit`),
  cue('owasp', 'owasp', R`owasp`),
  cue('red team', 'red', R`red[ -]team`),
  cue('security', 'security', R`security`),
  cue('malicious', 'malicious', R`malicious`),
  cue('adversarial', 'adversarial', R`adversarial`),
  cue('such as', 'such', R`such${_}as\b`),
  cue('for example', 'example', R`(?<=\bfor${_})example\b`),
  cue('e.g.', 'e', R`e\.g\.`),
  cue('phrases like', 'phrase phrases', R`phrases?${_}like\b`),
  cue('known as', 'known', R`known${_}as\b`),
  cue('circulated', 'circulated', R`circulated`),
  cue('paper', 'paper papers', R`paper`),
  cue('article', 'article articles', R`article`),
  cue('blog post', 'blog', R`blog${_}posts?\b`),
];

/** How far around a match to look for its quotation marks (same line only). */
const QUOTE_REACH_BEFORE = 200;
const QUOTE_REACH_AFTER = 240;

/** The signals an article or a question quotes; orders addressed to an AI and exfiltration are not damped by topic. */
const DISCUSSED_SIGNALS: ReadonlySet<InjectionSignal> = new Set(['instruction_override', 'role_play', 'system_prompt_leak', 'fake_role_marker']);

/**
 * Lowers `matches`' weights in place where the text discusses injection (`discussionCues` distinct
 * cues, counted by the phrase scan) or quotes the phrase, and marks the discussed ones: an article
 * lists several techniques, which should not add up as if each were separate evidence (the scorer
 * counts only the strongest discussed match).
 */
export function dampDiscussion(matches: PhraseMatch[], text: string, discussionCues: number): void {
  const discussed = discussionCues >= DISCUSSION_CUES_NEEDED;
  for (const match of matches) {
    if (discussed && DISCUSSED_SIGNALS.has(match.rule.signal)) {
      match.weight *= DISCUSSION_FACTOR;
      match.discussed = true;
    }
    if (isQuoted(text, match.start, match.end)) match.weight *= QUOTED_FACTOR;
  }
}

/** True when `[start, end)` lies between an opening and a closing quotation mark on its line. */
export function isQuoted(text: string, start: number, end: number): boolean {
  const lineStart = Math.max(text.lastIndexOf('\n', start - 1) + 1, start - QUOTE_REACH_BEFORE);
  const newline = text.indexOf('\n', end);
  const lineEnd = Math.min(newline < 0 ? text.length : newline, end + QUOTE_REACH_AFTER);
  for (const [open, close] of [['"', '"'], ["'", "'"], ['«', '»']] as const) {
    let opened = false;
    for (let index = lineStart; index < start; index++) {
      if (isMark(text, index, open, close)) opened = open === close ? !opened : text[index] === open;
    }
    if (!opened) continue;
    for (let index = end; index < lineEnd; index++) if (text[index] === close && isMark(text, index, open, close)) return true;
  }
  return false;
}

/** A quotation mark, not an apostrophe inside a word ("don't"). */
function isMark(text: string, index: number, open: string, close: string): boolean {
  const char = text[index];
  if (char !== open && char !== close) return false;
  if (char !== "'") return true;
  return !(/[a-z]/i.test(text[index - 1] ?? '') && /[a-z]/i.test(text[index + 1] ?? ''));
}
