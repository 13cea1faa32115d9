import type { InjectionSignal, InjectionSource, SourceWeights } from './injection-types.ts';

/**
 * A phrase rule: a sticky, case-insensitive pattern tried only where one of its key words occurs
 * (one scan for all keys finds those places), so ordinary text costs one regex pass. Context a
 * rule needs before its key is a bounded lookbehind; every quantifier is bounded, so each try
 * costs at most a few hundred steps whatever the input.
 */
export interface PhraseRule {
  /** `family.name`, reported on findings. */
  id: string;
  signal: InjectionSignal;
  /** Lower-case words (matched whole; `id_rsa` counts as one) or literal symbols starting with punctuation (`<|`, `](`) where the pattern starts. */
  keys: readonly string[];
  /** Sticky and case-insensitive; tried at each key's offset. */
  pattern: RegExp;
  weight: SourceWeights;
  /** A cheap test (`indexOf`, a character) that must pass before the pattern is tried at `index`. */
  guard?: (text: string, index: number) => boolean;
  /** Scales the weight by what matched or what surrounds it (the result is capped at 1); full weight without one. */
  grade?: (match: RegExpExecArray, text: string, source: InjectionSource) => number;
}

/** A rule as written in the rule files: pattern source, space-separated keys, a weight per source. */
export interface PhraseRuleSpec {
  id: string;
  signal: InjectionSignal;
  /** Space-separated keys. */
  keys: string;
  /** Regex source; compiled with the `iy` flags. */
  pattern: string;
  user: number;
  tool: number;
  grade?: PhraseRule['grade'];
  guard?: PhraseRule['guard'];
}

/** Compiles a rule. */
export function phraseRule(spec: PhraseRuleSpec): PhraseRule {
  return {
    id: spec.id,
    signal: spec.signal,
    keys: spec.keys.split(/\s+/).filter((key) => key.length > 0),
    pattern: new RegExp(spec.pattern, 'iy'),
    weight: { user: spec.user, tool: spec.tool },
    ...(spec.grade === undefined ? {} : { grade: spec.grade }),
    ...(spec.guard === undefined ? {} : { guard: spec.guard }),
  };
}

/** Between two words: one to four non-alphanumerics (space, punctuation, line breaks). */
export const _ = '[^a-z0-9]{1,4}';
/** One word. */
export const WORD = "[a-z'-]{1,30}";
/** An alternation of space-separated words, with `_` between the parts of multi-word entries (`set_aside`). */
export const anyOf = (words: string): string => `(?:${words.trim().split(/\s+/).map((word) => word.split('_').join(_)).join('|')})`;

/** Names and kinds of AI systems, as addressed in injected text (`ai assistant`, `language model`, `copilot`). */
export const AI_ADDRESSEE =
  `(?:ai(?:${_}(?:assistants?|agents?|models?|systems?|tools?|readers?|reviewers?|recruiters?|code${_}assistants?|coding${_}(?:agents?|assistants?)))?` +
  `|llms?(?:-based${_}tools?)?|assistants?|language${_}models?|models?|chatbots?|bots?|agents?|copilot|gpt|chatgpt|claude|gemini|bing|bard|crawlers?` +
  `|automated${_}(?:agents?|systems?|tools?|assistants?))\\b`;
/** The first words of `AI_ADDRESSEE`'s entries: keys of the rules built on it. */
export const AI_ADDRESSEE_KEYS = 'ai llm llms assistant assistants language model models chatbot chatbots bot bots agent agents copilot gpt chatgpt claude gemini bing bard crawler crawlers automated';

/** Words that place a role-play or a missing-restrictions claim in an AI's mouth. */
export const AI_CONTEXT = new RegExp(
  String.raw`\b(?:ai|a\.i\.|chatgpt|gpt|assistant|chatbot|bot|llm|language model|model|character|persona|pretend|act as|roleplay|role-play|role play|simulate|you are now|you're now|from now on|imagine|version of yourself|mode|jailbr\w*|dan|respond as|answer as|opposite|evil|amoral|unfiltered|openai)\b`,
  'i',
);

/** True when one of `needles` occurs (as written) within `reach` characters after `index`: a native-speed guard. */
export function followedBy(text: string, index: number, reach: number, needles: readonly string[]): boolean {
  // A slice is O(1) in V8 and keeps each indexOf from running to the end of a long text.
  const window = text.slice(index, index + reach);
  for (const needle of needles) if (window.includes(needle)) return true;
  return false;
}

/** True when `pattern` (not global) matches within the `reach` characters before `index`: a guard for lookbehind rules. */
export function precededBy(text: string, index: number, reach: number, pattern: RegExp): boolean {
  return pattern.test(text.slice(Math.max(0, index - reach), index));
}

/** True when at most 8 spaces, tabs or markup characters (`#`, `>`, `*`, `-`, `=`, `[`) stand between the line's start and `index`. */
export function atLineStart(text: string, index: number): boolean {
  for (let before = index - 1; before >= 0 && before >= index - 9; before--) {
    const unit = text.charCodeAt(before);
    if (unit === 0x0a) return true;
    if (before === index - 9 || !LINE_MARKUP.has(unit)) return false;
  }
  return true;
}
const LINE_MARKUP = new Set([0x20, 0x09, 0x23, 0x3e, 0x2a, 0x2d, 0x3d, 0x5b]);

/** True when `pattern` matches within `before` characters before `index` or `after` characters after it. */
export function near(text: string, index: number, pattern: RegExp, before: number, after: number): boolean {
  return pattern.test(text.slice(Math.max(0, index - before), Math.min(text.length, index + after)));
}
