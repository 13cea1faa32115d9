import { isAsciiLetter, isLower, isSpace, isUpper } from './character-classes.ts';
import type { Finding } from './finding.ts';
import { looksLikeRandomSecret } from './token-randomness.ts';

/**
 * Secrets found by the words before them, in one pass over the keywords "key", "token", "secret",
 * "password"/"passwd"/"pwd", "bearer" and "credential" (lower case, Capitalized or UPPER), each as a
 * word or an identifier part (`api_key`, `accessToken`, `DB_PASSWORD`), not inside another word
 * (`keyboard`, `monkey`) and not in a PEM armor line (`-----BEGIN PUBLIC KEY-----`):
 * - AWS secret access keys (kind 'aws_secret_key', pushed onto `specific`): 40 base64 characters a
 *   few words after "aws_secret" or "secret access key";
 * - any random-looking token (see token-randomness.ts) a few words after the keyword (kind
 *   'generic', pushed onto `generic`).
 */
export function detectKeywordSecrets(text: string, specific: Finding[], generic: Finding[]): void {
  const keywords = /[kK](?:ey|EY)|[tT](?:oken|OKEN)|[sS](?:ecret|ECRET)|[pP](?:ass(?:wor)?d|ASS(?:WOR)?D|wd|WD)|[bB](?:earer|EARER)|[cC](?:redential|REDENTIAL)/g;
  const knownStarts = new Set(specific.map((finding) => finding.start));
  // Words already judged after an earlier keyword are not judged again (`key key key …` stays linear).
  const judged = { to: 0 };
  let match: RegExpExecArray | null;
  while ((match = keywords.exec(text)) !== null) {
    const keywordEnd = match.index + match[0].length;
    if (!isKeywordAt(text, match.index, keywordEnd) || text.startsWith('-----', keywordEnd)) continue;
    const awsFrom = match[0][0] === 's' || match[0][0] === 'S' ? awsSecretContextEnd(text, match.index, keywordEnd) : -1;
    const aws = awsFrom === -1 ? undefined : findTokenAfter(text, awsFrom, isAwsSecretKey);
    if (aws) {
      specific.push({ detector: 'secret', start: aws.start, end: aws.end, value: text.slice(aws.start, aws.end), kind: 'aws_secret_key' });
      keywords.lastIndex = aws.end;
      continue;
    }
    const token = findTokenAfter(text, keywordEnd, looksLikeRandomSecret, knownStarts, judged);
    if (!token) continue;
    generic.push({ detector: 'secret', start: token.start, end: token.end, value: text.slice(token.start, token.end), kind: 'generic' });
    keywords.lastIndex = Math.max(keywords.lastIndex, token.end);
  }
}

/** AWS secret keys that follow an access key id, as credentials are pasted in pairs (`AKIA… / wJalr…`). */
export function detectAwsSecretKeysAfterIds(text: string, accessKeys: readonly Finding[], specific: Finding[]): void {
  for (const accessKey of accessKeys) {
    const token = findTokenAfter(text, accessKey.end, isAwsSecretKey);
    if (token) specific.push({ detector: 'secret', start: token.start, end: token.end, value: text.slice(token.start, token.end), kind: 'aws_secret_key' });
  }
}

/** 40 characters of base64 with both cases, as AWS issues secret access keys. */
function isAwsSecretKey(token: string): boolean {
  return token.length === 40 && /^[A-Za-z0-9/+]{40}$/.test(token) && /[A-Z]/.test(token) && /[a-z]/.test(token);
}

/** Where to look for an AWS secret after a "secret" keyword: past `aws_secret` / `secret_access_key` / `SecretAccessKey`, or -1 when AWS is not named. */
function awsSecretContextEnd(text: string, start: number, end: number): number {
  const after = /^[\s_-]?access[\s_-]?key/i.exec(text.slice(end, end + 16));
  if (after) return end + after[0].length;
  return /aws[\s_-]?$/i.test(text.slice(Math.max(0, start - 4), start)) ? end : -1;
}

const MAX_WORDS_AFTER = 6;
const MAX_CHARACTERS_AFTER = 100;
const MAX_WORD_LENGTH = 600;
/** Quotes, brackets and assignment marks before a value, and the rest of an assigned name: `"key": "…"`, `key=…`, `AWS_SECRET_ACCESS_KEY=…`, `(token …)`. */
const LEADING_MARKS = /^(?:[\w.-]*[:=](?=.))?["'`:=(\[{<,]*/;
const TRAILING_MARKS = /["'`)\]}>.,;:!?]+$/;

/** The keyword is a word or an identifier part: no letter glued before it unless at a camelCase or known-compound seam, and none after it except a plural `s` or a new camelCase part. */
function isKeywordAt(text: string, start: number, end: number): boolean {
  const before = text.charCodeAt(start - 1);
  const beforeOk = !isAsciiLetter(before) || (isLower(before) && isUpper(text.charCodeAt(start))) || COMPOUND_PREFIX.test(text.slice(Math.max(0, start - 8), start));
  if (!beforeOk) return false;
  const after = text.charCodeAt(end);
  if (!isAsciiLetter(after) || isUpper(after)) return true;
  return (after === 115 || after === 83) && !isAsciiLetter(text.charCodeAt(end + 1));
}

/** `apikey`, `authtoken`, `accesstoken`, `clientsecret`: lower-case compounds that name a secret. */
const COMPOUND_PREFIX = /(?:^|[^a-z])(?:api|auth|access|refresh|client|secret|session|private|master|signing|bot)$/i;

interface TokenSpan {
  start: number;
  end: number;
}

/**
 * The first of the next few whitespace-separated words after `from` that passes `accept`, stripped
 * of quotes, brackets and an assigned name. Words that start where a finding starts are skipped
 * unchecked (a provider key after "api_key=" is already reported under its own kind), and so are
 * words that ended before `judged.to` (judged after an earlier keyword); `judged.to` advances.
 */
function findTokenAfter(text: string, from: number, accept: (token: string) => boolean, knownStarts?: ReadonlySet<number>, judged?: { to: number }): TokenSpan | undefined {
  const limit = Math.min(text.length, from + MAX_CHARACTERS_AFTER);
  let index = from;
  for (let words = 0; words < MAX_WORDS_AFTER && index < limit; words++) {
    while (index < limit && isSpace(text.charCodeAt(index))) index++;
    let end = index;
    while (end < text.length && !isSpace(text.charCodeAt(end)) && end - index < MAX_WORD_LENGTH) end++;
    if (judged) {
      if (end <= judged.to) {
        index = end;
        continue;
      }
      judged.to = end;
    }
    const raw = text.slice(index, end);
    const leading = LEADING_MARKS.exec(raw)![0].length;
    const trailing = TRAILING_MARKS.exec(raw.slice(leading))?.[0].length ?? 0;
    const token = raw.slice(leading, raw.length - trailing);
    if (token.length > 0 && !knownStarts?.has(index + leading) && accept(token)) return { start: index + leading, end: index + leading + token.length };
    index = end;
  }
  return undefined;
}
