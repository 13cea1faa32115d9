import type { Finding } from './finding.ts';

/**
 * Secrets recognized by their structure rather than a provider prefix: JSON Web Tokens and PEM
 * private key blocks. The prefix pass (detect-prefixed-secrets.ts) finds their markers (`eyJ`,
 * `-----BEGIN `); these read forward from a marker once and return the end of what they read, so
 * the scan resumes past it and the cost stays linear in the text's length.
 */

function isBase64UrlCharacter(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45 || code === 95;
}

function readBase64Url(text: string, index: number): number {
  let end = index;
  while (end < text.length && isBase64UrlCharacter(text.charCodeAt(end))) end++;
  return end;
}

/** Longest JOSE header worth decoding; real ones are well under 1 KB. */
const MAX_HEADER_LENGTH = 2048;

/**
 * The JWT starting at `start` (on `eyJ`): `header.payload.signature` in base64url whose header
 * decodes to a JSON object with a string "alg". Returns the finding, if any, and where to resume.
 */
export function readJwtAt(text: string, start: number): { finding?: Finding; resumeAt: number } {
  const headerEnd = readBase64Url(text, start);
  if (text.charCodeAt(headerEnd) !== 46) return { resumeAt: headerEnd };
  const payloadEnd = readBase64Url(text, headerEnd + 1);
  if (payloadEnd === headerEnd + 1 || text.charCodeAt(payloadEnd) !== 46) return { resumeAt: payloadEnd };
  const end = readBase64Url(text, payloadEnd + 1);
  if (headerEnd - start > MAX_HEADER_LENGTH || !hasAlgorithm(text.slice(start, headerEnd))) return { resumeAt: end };
  return { finding: { detector: 'secret', start, end, value: text.slice(start, end), kind: 'jwt' }, resumeAt: end };
}

/** Base64url of `{"alg":""}`, the shortest header with an algorithm. */
const MIN_HEADER_LENGTH = 14;

function hasAlgorithm(encodedHeader: string): boolean {
  if (encodedHeader.length < MIN_HEADER_LENGTH) return false;
  const decoded = Buffer.from(encodedHeader, 'base64url').toString('utf8');
  // Most look-alikes fail here, before JSON.parse throws (throwing is slow on a text full of them).
  if (!decoded.includes('"alg"') || !decoded.endsWith('}')) return false;
  try {
    const header: unknown = JSON.parse(decoded);
    return typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

const BEGIN = '-----BEGIN ';
const DASHES = '-----';
const PRIVATE_KEY_LABEL = /^[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?$/;
const MAX_LABEL_LENGTH = 64;

/** Per-scan state of the private key reader: once an END line is missing, no later block can find one. */
export interface PrivateKeyScan {
  endMarkersLeft: boolean;
}

/**
 * The private key block starting at `start` (on `-----BEGIN `): through its matching END line,
 * whole. A block cut off before its END line runs to the end of its base64 body: what was pasted
 * is still a key. Other PEM blocks (public keys, certificates) are not secrets.
 */
export function readPrivateKeyAt(text: string, start: number, scan: PrivateKeyScan): { finding?: Finding; resumeAt: number } {
  const labelStart = start + BEGIN.length;
  const labelEnd = text.indexOf(DASHES, labelStart);
  if (labelEnd === -1 || labelEnd - labelStart > MAX_LABEL_LENGTH) return { resumeAt: labelStart };
  const label = text.slice(labelStart, labelEnd);
  if (!PRIVATE_KEY_LABEL.test(label)) return { resumeAt: labelEnd };
  const bodyStart = labelEnd + DASHES.length;
  const endLine = `-----END ${label}-----`;
  // Skipping the search once it failed keeps a text of many BEGIN lines linear.
  const endIndex = scan.endMarkersLeft ? text.indexOf(endLine, bodyStart) : -1;
  if (endIndex === -1) scan.endMarkersLeft = false;
  const end = endIndex === -1 ? readPemBody(text, bodyStart) : endIndex + endLine.length;
  return { finding: { detector: 'secret', start, end, value: text.slice(start, end), kind: 'private_key' }, resumeAt: end };
}

/**
 * End of the body of a block whose END line is missing: the lines after the BEGIN line that are
 * base64 (or RFC 1421 header fields such as `Proc-Type: 4,ENCRYPTED`), up to the first other line.
 */
function readPemBody(text: string, index: number): number {
  let end = index;
  let lineStart = text.indexOf('\n', index) === -1 ? text.length : text.indexOf('\n', index) + 1;
  while (lineStart < text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd).replace(/\r$/, '');
    if (line.length > 0 && !PEM_BODY_LINE.test(line)) break;
    if (line.length > 0) end = lineStart + line.length;
    lineStart = lineEnd + 1;
  }
  return end;
}

const PEM_BODY_LINE = /^(?:[A-Za-z0-9+/=]{1,128}|[A-Za-z-]{1,32}: [^\n]{0,128})$/;
