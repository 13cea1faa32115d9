/**
 * Whether a token looks like a random secret rather than a word, identifier, hash, id or data URL:
 * the test behind the keyword-anchored generic secret detector. Thresholds are in bits per
 * character of Shannon entropy over the token's own characters.
 */
export function looksLikeRandomSecret(token: string): boolean {
  if (token.length < MIN_LENGTH || token.length > MAX_LENGTH || !TOKEN.test(token)) return false;
  if (!/[A-Za-z]/.test(token) || !/\d/.test(token)) return false;
  if (UUID.test(token) || isDigest(token) || PATH_LIKE.test(token) || EMAIL_LIKE.test(token)) return false;
  if (shannonEntropy(token) < (HEX.test(token) ? MIN_HEX_ENTROPY : MIN_ENTROPY)) return false;
  return !isIdentifierLike(token) && !isBase64OfText(token);
}

/** Shannon entropy of the characters of `value`, in bits per character. */
export function shannonEntropy(value: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const probability = count / value.length;
    entropy -= probability * Math.log2(probability);
  }
  return entropy;
}

const MIN_LENGTH = 20;
const MAX_LENGTH = 512;
/** A random 20-character base62 string has about 4.0 bits per character; identifiers and dates fall below 3.5. */
const MIN_ENTROPY = 3.5;
/** Hex has only 16 symbols: 4 bits per character at most, about 3.6 for a random 32-digit value. */
const MIN_HEX_ENTROPY = 3.0;

const TOKEN = /^[A-Za-z0-9_\-+/=.~!#$%^&*@?]+$/;
const HEX = /^[0-9a-fA-F]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PATH_LIKE = /^(?:\.{0,2}\/|~\/)/;
const EMAIL_LIKE = /^[^@]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;

/** Git object names and SHA-256 digests (40 or 64 hex digits, optionally `sha256:`-prefixed) are content hashes, not secrets. */
function isDigest(token: string): boolean {
  const bare = token.replace(/^(?:sha1|sha256|sha512):/i, '');
  return HEX.test(bare) && (bare.length === 40 || bare.length === 64);
}

/**
 * Whether the token is built from words and numbers joined by separators or camelCase —
 * `user_profile_settings_v2`, `gpt-4o-2024-08-06`, `prod/payments/webhook-secret-v3` — as names and
 * ids are. A random token almost always has a part that mixes letters and digits irregularly
 * (about 1 in 100 random 20-character base62 strings does not).
 */
function isIdentifierLike(token: string): boolean {
  const parts = token.split(/[_\-./]+/).flatMap((part) => part.split(/(?<=[a-z])(?=[A-Z])/)).filter((part) => part.length > 0);
  return parts.every((part) => IDENTIFIER_PART.test(part)) && parts.some((part) => /[A-Za-z]{3}/.test(part));
}

/** A word (`Access`, `token`, `API`), a number, or a short name with a number (`v2`, `utf8`, `sha256`, `4o`). */
const IDENTIFIER_PART = /^(?:[A-Za-z][a-z]+|[A-Z]+|\d+|[A-Za-z]{1,6}\d{1,4}[A-Za-z]?|\d{1,4}[A-Za-z]{1,2})$/;

/** Base64 that decodes to printable text with spaces (`aGVsbG8gd29ybGQ=`, "hello world") is encoded prose, not a key. */
function isBase64OfText(token: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token) || token.length % 4 !== 0) return false;
  const decoded = Buffer.from(token, 'base64').toString('latin1');
  return /^[\x20-\x7e\t\r\n]+$/.test(decoded) && decoded.includes(' ');
}
