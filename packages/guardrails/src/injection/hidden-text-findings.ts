import type { HiddenCharacters } from './fold-for-matching.ts';
import type { InjectionFinding, InjectionSource } from './injection-types.ts';

/**
 * Findings for invisible characters. Their mere presence is weak evidence (a stray zero-width
 * space comes with copy-pasted web text; isolates come with names in notifications), several of
 * them inside Latin text is stronger, and tag characters (ASCII smuggling) or a right-to-left
 * override have next to no ordinary use in a prompt. What they hide is matched by the phrase
 * rules on the folded text, so "ig\u200bnore previous instructions" also scores as an override.
 */
export function hiddenTextFindings(hidden: HiddenCharacters, source: InjectionSource): InjectionFinding[] {
  const findings: InjectionFinding[] = [];
  const toolBonus = source === 'tool' ? 0.05 : 0;
  const { zeroWidth, bidiOverride, bidiEmbedding, tagRuns } = hidden;
  if (zeroWidth.count > 0) {
    const weight = (zeroWidth.count >= 3 ? 0.55 : zeroWidth.count === 2 ? 0.4 : 0.3) + toolBonus;
    findings.push({ signal: 'hidden_text', weight, start: zeroWidth.start, end: zeroWidth.end, rule: 'hidden.zero-width' });
  }
  if (bidiOverride.count > 0) {
    findings.push({ signal: 'hidden_text', weight: 0.55 + toolBonus, start: bidiOverride.start, end: bidiOverride.end, rule: 'hidden.bidi-override' });
  }
  if (bidiEmbedding.count > 0) {
    const weight = bidiEmbedding.unbalanced || bidiEmbedding.count > 6 ? 0.35 : 0.15;
    findings.push({ signal: 'hidden_text', weight, start: bidiEmbedding.start, end: bidiEmbedding.end, rule: 'hidden.bidi-embedding' });
  }
  for (const run of tagRuns) {
    findings.push({ signal: 'hidden_text', weight: 0.6 + 2 * toolBonus, start: run.start, end: run.end, rule: 'hidden.tag-characters' });
  }
  return findings;
}
