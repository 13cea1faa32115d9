import { dampDiscussion } from './discussion-context.ts';
import { findEncodedInstructions } from './find-encoded-blobs.ts';
import { findHtmlComments } from './find-html-comments.ts';
import { foldForMatching, type FoldedText } from './fold-for-matching.ts';
import { hiddenTextFindings } from './hidden-text-findings.ts';
import type { InjectionFinding, InjectionScore, InjectionSource } from './injection-types.ts';
import { matchPhraseRules, type PhraseMatch } from './match-phrase-rules.ts';

/**
 * The score from which a text counts as an injection: on the labelled set
 * (test/fixtures/injection-labelled.jsonl) it flags no negative and detects 93% of the positives;
 * `node --import tsx test/bench/guardrails-injection.ts` prints the table for other thresholds.
 */
export const DEFAULT_INJECTION_THRESHOLD = 0.5;

/** Findings returned at most (the strongest); the score uses them all. */
const MAX_FINDINGS = 64;
/** The evidence group of every match damped as discussion: only the strongest of them counts. */
const DISCUSSION_GROUP = 'discussion';

/** A finding and the evidence group it counts in (its rule, unless it is part of a discussion). */
interface GroupedFinding {
  finding: InjectionFinding;
  group: string;
}

/**
 * Scores `text` for prompt injection with cheap heuristics: phrase rules (instruction overrides,
 * role-play jailbreaks, prompt leaking, fake role markers, orders addressed to the AI, data
 * exfiltration) on NFKC-folded text without invisible characters, plus hidden characters, HTML
 * comments carrying instructions and base64 that decodes to instructions. `source: 'tool'` (a tool
 * result, where indirect injection arrives) weighs orders addressed to the AI much more than a
 * user's own message does. The score is 1 − Π(1 − w) over the strongest finding of each rule.
 * Linear in the text's length; tens of microseconds for 4 KB of ordinary text.
 */
export function scoreInjection(text: string, source: InjectionSource): InjectionScore {
  const folded = foldForMatching(text);
  const matches = matchPhrases(folded.text, source);
  const found = phraseFindings(matches, folded);
  for (const comment of findHtmlComments(folded.text, matches, source)) {
    const finding: InjectionFinding = { signal: 'html_comment', weight: comment.weight, start: folded.sourceIndex(comment.start), end: folded.sourceIndex(comment.end), rule: 'hidden.html-comment' };
    found.push({ finding, group: finding.rule });
  }
  for (const finding of hiddenTextFindings(folded.hidden, source)) found.push({ finding, group: finding.rule });
  for (const finding of findEncodedInstructions(text, source, scoreDecodedText)) found.push({ finding, group: finding.rule });
  return combine(found);
}

/** Combines findings that each count as separate evidence (one group per rule). */
export function combineFindings(findings: readonly InjectionFinding[]): InjectionScore {
  return combine(findings.map((finding) => ({ finding, group: finding.rule })));
}

/** The phrase rules' matches on folded text, damped where the text discusses injection; sorted by start. */
function matchPhrases(text: string, source: InjectionSource): PhraseMatch[] {
  const { matches, discussionCues } = matchPhraseRules(text, source);
  dampDiscussion(matches, text, discussionCues);
  return matches.sort((a, b) => a.start - b.start);
}

function phraseFindings(matches: readonly PhraseMatch[], folded: FoldedText): GroupedFinding[] {
  return matches.map((match) => ({
    finding: { signal: match.rule.signal, weight: match.weight, start: folded.sourceIndex(match.start), end: folded.sourceIndex(match.end), rule: match.rule.id },
    group: match.discussed === true ? DISCUSSION_GROUP : match.rule.id,
  }));
}

/** A decoded base64 text's score from the phrase rules alone (no recursion into further blobs). */
function scoreDecodedText(decoded: string, source: InjectionSource): number {
  const folded = foldForMatching(decoded);
  return combine(phraseFindings(matchPhrases(folded.text, source), folded)).score;
}

/** Strongest finding per group, combined as independent evidence: 1 − Π(1 − w). */
function combine(found: readonly GroupedFinding[]): InjectionScore {
  if (found.length === 0) return { score: 0, findings: [] };
  const strongest = new Map<string, number>();
  for (const { finding, group } of found) strongest.set(group, Math.max(strongest.get(group) ?? 0, finding.weight));
  let remaining = 1;
  for (const weight of strongest.values()) remaining *= 1 - Math.min(1, weight);
  const findings = found.map(({ finding }) => finding);
  const kept = findings.length <= MAX_FINDINGS ? findings : [...findings].sort((a, b) => b.weight - a.weight).slice(0, MAX_FINDINGS);
  return {
    score: round(1 - remaining),
    findings: kept.map((finding) => ({ ...finding, weight: round(finding.weight) })).sort((a, b) => a.start - b.start || b.weight - a.weight),
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
