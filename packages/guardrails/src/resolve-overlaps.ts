import type { Finding } from './finding.ts';

/**
 * Makes findings non-overlapping, deterministically: sorted by start, and where two overlap the
 * longer one wins; at equal length the detector earlier in `priority` wins (built-ins in the order
 * secret, card, iban, ssn, email, ip, phone, then custom detectors in config order); then the
 * earlier start. One sweep, O(n log n). A finding that loses is dropped whole, never trimmed.
 */
export function resolveOverlaps(findings: Finding[], priority: ReadonlyMap<string, number>): Finding[] {
  if (findings.length < 2) return findings;
  findings.sort((a, b) => a.start - b.start || b.end - a.end || rankOf(a, priority) - rankOf(b, priority));
  const kept: Finding[] = [];
  for (const finding of findings) {
    const last = kept[kept.length - 1];
    if (!last || finding.start >= last.end) kept.push(finding);
    else if (beats(finding, last, priority)) kept[kept.length - 1] = finding;
  }
  return kept;
}

/** A module-level function, not a closure per call: the gateway runs under tsx, which names every closure it creates. */
function rankOf(finding: Finding, priority: ReadonlyMap<string, number>): number {
  return priority.get(finding.detector) ?? Number.MAX_SAFE_INTEGER;
}

function beats(challenger: Finding, holder: Finding, priority: ReadonlyMap<string, number>): boolean {
  const lengthDifference = challenger.end - challenger.start - (holder.end - holder.start);
  if (lengthDifference !== 0) return lengthDifference > 0;
  return rankOf(challenger, priority) < rankOf(holder, priority);
}
