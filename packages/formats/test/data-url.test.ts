import type { ChatRequest } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeAnthropicRequest, encodeAnthropicRequest, encodeGeminiRequest } from '../src/index.ts';
import { formatDataUrl, parseDataUrl } from '../src/data-url.ts';

describe('data url › parse', () => {
  it('reads the MIME type and keeps a base64 payload as sent', () => {
    expect(parseDataUrl('data:image/png;base64,iVBORw0KGgo=')).toStrictEqual({ mimeType: 'image/png', data: 'iVBORw0KGgo=' });
  });

  it('skips parameters before ;base64 and takes the scheme and the base64 flag in any case', () => {
    expect(parseDataUrl('data:image/png;name=cat.png;base64,iVBO')).toStrictEqual({ mimeType: 'image/png', data: 'iVBO' });
    expect(parseDataUrl('DATA:image/png;BASE64,iVBO')).toStrictEqual({ mimeType: 'image/png', data: 'iVBO' });
  });

  it('base64-encodes a percent-encoded payload byte for byte, binary bytes included', () => {
    expect(parseDataUrl('data:text/plain,hello%20world')).toStrictEqual({ mimeType: 'text/plain', data: Buffer.from('hello world').toString('base64') });
    // %89 alone is not UTF-8: decoded as a string it would throw; as bytes it is the PNG signature's first byte.
    expect(parseDataUrl('data:image/png,%89PNG')?.data).toBe(Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64'));
    expect(parseDataUrl('data:text/plain,100%')?.data).toBe(Buffer.from('100%').toString('base64'));
  });

  it('defaults the MIME type to text/plain and returns undefined for anything that is not a data URL', () => {
    expect(parseDataUrl('data:,abc')).toStrictEqual({ mimeType: 'text/plain', data: Buffer.from('abc').toString('base64') });
    expect(parseDataUrl('https://example.com/a.png')).toBeUndefined();
    expect(parseDataUrl('data:image/png;base64')).toBeUndefined();
  });

  it('reads back what formatDataUrl writes', () => {
    const content = { mimeType: 'application/pdf', data: 'JVBERi0=' };
    expect(formatDataUrl(content)).toBe('data:application/pdf;base64,JVBERi0=');
    expect(parseDataUrl(formatDataUrl(content))).toStrictEqual(content);
  });
});

describe('data url › one reading for every adapter', () => {
  const request = (url: string): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image', url }] }], stream: false, includeUsage: false });

  it.each(['data:image/png;base64,iVBORw0KGgo=', 'data:image/png;name=a.png;base64,iVBO', 'data:image/svg+xml,%3Csvg%2F%3E'])(
    'sends %s to Anthropic and Gemini as the same MIME type and bytes',
    (url) => {
      const expected = parseDataUrl(url);
      const anthropic = encodeAnthropicRequest(request(url), { model: 'm', stream: false });
      expect((anthropic.messages as { content: unknown[] }[])[0]?.content[0]).toStrictEqual({
        type: 'image',
        source: { type: 'base64', media_type: expected?.mimeType, data: expected?.data },
      });
      const gemini = encodeGeminiRequest(request(url));
      expect((gemini.contents as { parts: unknown[] }[])[0]?.parts[0]).toStrictEqual({ inlineData: expected });
    },
  );

  it('decodes an Anthropic base64 image into the data URL the encoders read', () => {
    const decoded = decodeAnthropicRequest({
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/webp', data: 'UklGRg==' } }] }],
    });
    expect(decoded.messages[0]).toStrictEqual({ role: 'user', content: [{ type: 'image', url: 'data:image/webp;base64,UklGRg==' }] });
  });
});
