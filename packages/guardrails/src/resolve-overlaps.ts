import type { Finding } from './finding.ts';

/**
 * Makes findings non-overlapping, deterministically: sorted by start, and where two overlap the
 * longer one wins; at equal length the detector earlier in `priority` wins (built-ins in the order
 * secret, card, iban, ssn, email, ip, phone, then custom detectors in config order); then the
 * earlier start. One sweep, O(n log n). A finding that loses is dropped whole, never trimmed.
 */
export function resolveOverlaps(findings: Finding[], priority: ReadonlyMap<string, number>): Finding[] {
  if (findings.length < 2) return findings;
  const rank = (finding: Finding) => priority.get(finding.detector) ?? Number.MAX_SAFE_INTEGER;
  findings.sort((a, b) => a.start - b.start || b.end - a.end || rank(a) - rank(b));
  const kept: Finding[] = [];
  for (const finding of findings) {
    const last = kept[kept.length - 1];
    if (!last || finding.start >= last.end) kept.push(finding);
    else if (beats(finding, last, rank)) kept[kept.length - 1] = finding;
  }
  return kept;
}

function beats(challenger: Finding, holder: Finding, rank: (finding: Finding) => number): boolean {
  const lengthDifference = challenger.end - challenger.start - (holder.end - holder.start);
  if (lengthDifference !== 0) return lengthDifference > 0;
  return rank(challenger) < rank(holder);
}
