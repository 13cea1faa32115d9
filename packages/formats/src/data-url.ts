/** A `data:` URL's payload: its MIME type and its bytes as base64. */
export interface DataUrlContent {
  /** The media type, parameters left off (`image/png`); `text/plain` when the URL names none. */
  mimeType: string;
  /** The bytes, base64-encoded. */
  data: string;
}

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/is;

/** Percent-decodes to bytes (not to a string: `%89` is a byte, not a character). */
function percentDecode(text: string): Buffer {
  const bytes: number[] = [];
  for (let position = 0; position < text.length; ) {
    const hex = text.slice(position + 1, position + 3);
    if (text[position] === '%' && /^[0-9a-f]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      position += 3;
    } else {
      const character = String.fromCodePoint(text.codePointAt(position) ?? 0);
      bytes.push(...Buffer.from(character, 'utf8'));
      position += character.length;
    }
  }
  return Buffer.from(bytes);
}

/**
 * Parses `data:<mime>[;<parameter>…][;base64],<data>` (RFC 2397). The payload comes back as
 * base64 either way: a base64 payload as sent, a percent-encoded one encoded. Undefined when `url`
 * is not a data URL.
 * @see https://www.rfc-editor.org/rfc/rfc2397
 */
export function parseDataUrl(url: string): DataUrlContent | undefined {
  const match = DATA_URL.exec(url);
  if (match === null) return undefined;
  const mimeType = (match[1] ?? '').trim() || 'text/plain';
  const isBase64 = (match[2] ?? '')
    .split(';')
    .some((parameter) => parameter.trim().toLowerCase() === 'base64');
  const payload = match[3] ?? '';
  return { mimeType, data: isBase64 ? payload : percentDecode(payload).toString('base64') };
}

/** Bytes given as base64 → a `data:<mime>;base64,<data>` URL, the form `parseDataUrl` reads. */
export function formatDataUrl(content: DataUrlContent): string {
  return `data:${content.mimeType};base64,${content.data}`;
}
