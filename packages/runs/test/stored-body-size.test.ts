import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keepJsonText, KEPT_JSON_TEXT_CHARS } from '@gantry/spec';
import { TRUNCATED_HEAD_CHARACTERS, truncatedBody, truncatedBodyInSlices } from '../src/stored-body-size.ts';

/** What a truncated body must say of `value`: its JSON text's UTF-8 size, SHA-256 and head. */
function expected(value: unknown) {
  const json = JSON.stringify(value);
  return { truncated: true, bytes: Buffer.byteLength(json, 'utf8'), sha256: createHash('sha256').update(json, 'utf8').digest('hex'), head: json.slice(0, TRUNCATED_HEAD_CHARACTERS) };
}

describe('truncatedBody', () => {
  it('says the same of an exchange whether the provider body’s text was kept or is built again', () => {
    // Two- and four-byte characters, escapes and a lone surrogate (escaped by JSON.stringify).
    const body = { model: 'm', messages: [{ role: 'user', content: `${'é😀"\\\n'.repeat(KEPT_JSON_TEXT_CHARS)}\ud800` }], max_tokens: 5 };
    const exchange = { url: 'http://127.0.0.1/v1/chat/completions', requestBody: body, status: 200, responseBody: { id: 'x', choices: [] }, skipped: undefined };
    const built = truncatedBody(exchange);
    keepJsonText(body, JSON.stringify(body));
    expect(truncatedBody(exchange)).toEqual(built);
    expect(built).toEqual(expected(exchange));
    // Kept as the bytes a provider was sent (buffers that end between characters), the head included.
    const sent = Buffer.from(JSON.stringify(body));
    const cut = sent.indexOf(Buffer.from('😀'));
    keepJsonText(body, [sent.subarray(0, 5), sent.subarray(5, cut), sent.subarray(cut)]);
    expect(truncatedBody(exchange)).toEqual(built);
    expect(truncatedBody(body)).toEqual(expected(body));
  });

  it('uses a kept text as it was sent, and keeps none too short to matter', () => {
    const body = { content: 'x'.repeat(KEPT_JSON_TEXT_CHARS) };
    keepJsonText(body, JSON.stringify(body));
    // The body changed after it was sent: the exchange says what went over the wire.
    body.content = 'changed';
    expect(truncatedBody({ requestBody: body }).head).toBe(`{"requestBody":{"content":"${'x'.repeat(TRUNCATED_HEAD_CHARACTERS - 27)}`);
    const small = { content: 'short' };
    keepJsonText(small, '{"content":"not kept"}');
    expect(truncatedBody(small)).toEqual(expected(small));
  });

  it('says the same when made a slice at a time', async () => {
    const body = { messages: [{ role: 'user', content: `${'é😀"\\\n'.repeat(600_000)}\ud800` }, { role: 'user', content: 'x'.repeat(3_000_000) }] };
    expect(await truncatedBodyInSlices(body)).toEqual(expected(body));
  });

  it('cuts the head before half a surrogate pair that straddles the limit', () => {
    const value = { text: `${'a'.repeat(TRUNCATED_HEAD_CHARACTERS - 10)}😀` };
    expect(truncatedBody(value).head).toBe(JSON.stringify(value).slice(0, TRUNCATED_HEAD_CHARACTERS - 1));
  });
});
