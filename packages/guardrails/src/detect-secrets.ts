import { detectAwsSecretKeysAfterIds, detectKeywordSecrets } from './detect-keyword-secrets.ts';
import type { Finding } from './finding.ts';
import { detectPrefixedSecrets } from './detect-prefixed-secrets.ts';

/**
 * The secret detector: provider keys (kind names the provider), JWTs, private key blocks, AWS
 * secret keys, then keyword-anchored high-entropy tokens (kind 'generic'). A generic finding that
 * overlaps a specific one is dropped, so a key is reported once, under its most specific kind.
 */
export function detectSecrets(text: string, findings: Finding[]): void {
  const specific: Finding[] = [];
  detectPrefixedSecrets(text, specific);
  const accessKeys = specific.filter((finding) => finding.kind === 'aws_access_key');
  if (accessKeys.length > 0) detectAwsSecretKeysAfterIds(text, accessKeys, specific);
  const generic: Finding[] = [];
  detectKeywordSecrets(text, specific, generic);
  for (const finding of specific) findings.push(finding);
  if (generic.length === 0) return;
  specific.sort((a, b) => a.start - b.start);
  const reach = furthestEnds(specific);
  for (const finding of generic) if (!overlapsAny(specific, reach, finding)) findings.push(finding);
}

/** `reach[i]`: the furthest end among `sorted[0..i]`. */
function furthestEnds(sorted: readonly Finding[]): number[] {
  const reach: number[] = [];
  let furthest = -1;
  for (const finding of sorted) reach.push((furthest = Math.max(furthest, finding.end)));
  return reach;
}

/** Whether `finding` overlaps any of `sorted` (by start): the last one starting before it ends, or any earlier, reaches past its start. */
function overlapsAny(sorted: readonly Finding[], reach: readonly number[], finding: Finding): boolean {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]!.start < finding.end) low = middle + 1;
    else high = middle;
  }
  return low > 0 && reach[low - 1]! > finding.start;
}
