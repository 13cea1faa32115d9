import { readJwtAt, readPrivateKeyAt, type PrivateKeyScan } from './detect-structured-secrets.ts';
import type { Finding } from './finding.ts';

/**
 * Secrets that start with a fixed prefix, found in one regex pass over the text: provider keys
 * (`sk-`, `AIza`, `ghp_`, `AKIA`, …; at each hit the provider's own sticky pattern reads the key),
 * JWTs (`eyJ`) and PEM private key blocks (`-----BEGIN `). A key must start at a boundary (no
 * letter, digit, `_` or `-` before it) and each body is one greedy class with nothing after it, so
 * no match backtracks through a long run; the pass resumes past what each hit read.
 */
interface ProviderKeyPattern {
  kind: string;
  pattern: RegExp;
  /** Extra check, for prefixes that also occur in prose (`sk-learn`, `sk-this-is-not-a-key`). */
  isPlausible?: (value: string) => boolean;
}

/** A random key body has letters and digits; `sk-this-is-not-a-real-key` does not. */
function hasLettersAndDigits(value: string): boolean {
  return /[A-Za-z]/.test(value) && /\d/.test(value);
}

/** By prefix as PREFIXES matches it; the first pattern that matches at the hit wins (so `sk-ant-` is Anthropic's before `sk-` is OpenAI's). */
const PATTERNS_BY_PREFIX: Readonly<Record<string, readonly ProviderKeyPattern[]>> = {
  'sk-': [
    { kind: 'anthropic_key', pattern: /sk-ant-[A-Za-z0-9_-]{20,}/y, isPlausible: hasLettersAndDigits },
    { kind: 'openrouter_key', pattern: /sk-or-v1-[A-Za-z0-9]{32,}/y },
    { kind: 'openai_key', pattern: /sk-[A-Za-z0-9_-]{20,}/y, isPlausible: hasLettersAndDigits },
  ],
  AIza: [{ kind: 'google_api_key', pattern: /AIza[A-Za-z0-9_-]{35}/y }],
  gh: [{ kind: 'github_token', pattern: /gh[pousr]_[A-Za-z0-9]{36,}/y }],
  github_pat_: [{ kind: 'github_token', pattern: /github_pat_[A-Za-z0-9_]{22,}/y }],
  xox: [{ kind: 'slack_token', pattern: /xox[abprs]-[A-Za-z0-9-]{10,}/y, isPlausible: hasLettersAndDigits }],
  AKIA: [{ kind: 'aws_access_key', pattern: /AKIA[A-Z0-9]{16}(?![A-Za-z0-9])/y }],
  ASIA: [{ kind: 'aws_access_key', pattern: /ASIA[A-Z0-9]{16}(?![A-Za-z0-9])/y }],
  stripe: [{ kind: 'stripe_key', pattern: /[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}/y }],
  whsec_: [{ kind: 'stripe_webhook_secret', pattern: /whsec_[A-Za-z0-9]{24,}/y }],
  hf_: [{ kind: 'huggingface_token', pattern: /hf_[A-Za-z0-9]{30,}/y }],
  gsk_: [{ kind: 'groq_key', pattern: /gsk_[A-Za-z0-9]{40,}/y }],
};

const PREFIXES = /sk-|AIza|gh[pousr]_|github_pat_|xox[abprs]-|AKIA|ASIA|[rsp]k_(?:live|test)_|whsec_|hf_|gsk_|eyJ|-----BEGIN /g;

function prefixKey(prefix: string): string {
  if (prefix.startsWith('gh') && prefix.length === 4) return 'gh';
  if (prefix.startsWith('xox')) return 'xox';
  if (prefix.includes('_live_') || prefix.includes('_test_')) return 'stripe';
  return prefix;
}

function isKeyCharacter(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45 || code === 95;
}

/**
 * Substrings one of which every prefix contains (each `…_` prefix has an underscore; `sk-` has `k-`,
 * `eyJ` has `yJ`): `includes` runs at memchr speed on a needle's first character, while the
 * alternation of PREFIXES is tried at every position — in prose, where none occur, the check makes
 * the pass several times cheaper. Each needle starts with a character rare in prose (`k-`, not
 * `sk-`; `yJ`, not `eyJ`: `s` and `e` would stop memchr every few characters).
 */
const NEEDLES = ['_', 'k-', 'AIza', 'xox', 'AKIA', 'ASIA', 'yJ', '-----BEGIN '];

/** Every prefixed secret in `text`, as secret findings whose kind names the provider or 'jwt' / 'private_key'. */
export function detectPrefixedSecrets(text: string, findings: Finding[]): void {
  if (!NEEDLES.some((needle) => text.includes(needle))) return;
  const prefixes = new RegExp(PREFIXES);
  const privateKeys: PrivateKeyScan = { endMarkersLeft: true };
  let match: RegExpExecArray | null;
  while ((match = prefixes.exec(text)) !== null) {
    const start = match.index;
    const prefix = match[0];
    if (prefix === '-----BEGIN ') {
      const { finding, resumeAt } = readPrivateKeyAt(text, start, privateKeys);
      if (finding) findings.push(finding);
      prefixes.lastIndex = Math.max(prefixes.lastIndex, resumeAt);
      continue;
    }
    if (start > 0 && isKeyCharacter(text.charCodeAt(start - 1))) continue;
    if (prefix === 'eyJ') {
      const { finding, resumeAt } = readJwtAt(text, start);
      if (finding) findings.push(finding);
      prefixes.lastIndex = Math.max(prefixes.lastIndex, resumeAt);
      continue;
    }
    const key = readProviderKey(text, start, prefix);
    if (!key) continue;
    findings.push(key);
    prefixes.lastIndex = key.end;
  }
}

function readProviderKey(text: string, start: number, prefix: string): Finding | undefined {
  for (const { kind, pattern, isPlausible } of PATTERNS_BY_PREFIX[prefixKey(prefix)] ?? []) {
    pattern.lastIndex = start;
    const key = pattern.exec(text);
    if (!key || (isPlausible && !isPlausible(key[0]))) continue;
    return { detector: 'secret', start, end: start + key[0].length, value: key[0], kind };
  }
  return undefined;
}
