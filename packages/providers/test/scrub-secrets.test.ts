import { ProviderHttpError, ProviderUnreachableError } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { createSecretScrubber, credentialSecrets, REDACTED } from '../src/http/scrub-secrets.ts';

const KEY = 'sk-test-0123456789abcdef';

describe('credentialSecrets', () => {
  it('takes a Bearer value whole and its token alone, longest first', () => {
    expect(credentialSecrets({ authorization: `Bearer ${KEY}` })).toEqual([`Bearer ${KEY}`, KEY]);
    expect(credentialSecrets({ Authorization: `bearer  ${KEY}` })).toEqual([`bearer  ${KEY}`, KEY]);
  });

  it('takes the values of the auth headers and of configured extras named like credentials, in any case', () => {
    const headers = {
      'x-api-key': 'anthropic-key-123',
      'api-key': 'azure-key-1234567',
      'x-goog-api-key': 'AIzaSy-gemini-key',
      'X-Portkey-Api-Key': 'portkey-key-12345',
      'x-session-token': 'token-value-12345',
      'x-client-secret': 'client-secret-123',
      'proxy-password': 'hunter2-hunter2',
      cookie: 'session=abcdef123456',
    };
    expect(new Set(credentialSecrets(headers))).toEqual(new Set(Object.values(headers)));
  });

  it('leaves out values shorter than 8 characters and headers not named like credentials', () => {
    const headers = { 'x-api-key': 'short', authorization: 'Bearer abc', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-extra-header': 'long-enough-value' };
    // `Bearer abc` is 10 characters, kept whole; `abc` alone is too short.
    expect(credentialSecrets(headers)).toEqual(['Bearer abc']);
  });
});

describe('secret scrubber', () => {
  const scrub = createSecretScrubber(credentialSecrets({ authorization: `Bearer ${KEY}` }));

  it('replaces the whole Bearer value as one secret, and the token where it is quoted alone', () => {
    expect(scrub.text(`sent "Bearer ${KEY}" and ${KEY} twice: ${KEY}.`)).toBe(`sent "${REDACTED}" and ${REDACTED} twice: ${REDACTED}.`);
  });

  it('returns the very same string when it holds no secret', () => {
    const clean = `provider said: invalid model ${'x'.repeat(20)}`;
    expect(scrub.has(clean)).toBe(false);
    expect(scrub.text(clean)).toBe(clean);
  });

  it('keeps values shorter than 8 characters: they are no secrets and ordinary text must not be mangled', () => {
    const short = createSecretScrubber(credentialSecrets({ 'x-api-key': 'abc1234', authorization: 'Bearer abc' }));
    expect(short.text('abc1234 and abc stay')).toBe('abc1234 and abc stay');
    expect(short.text('but Bearer abc goes')).toBe(`but ${REDACTED} goes`);
  });

  it('redacts the cut-off start of a secret at the end of a text sliced to a length, from 8 characters on', () => {
    expect(scrub.text(`your key ${KEY.slice(0, 12)}`)).toBe(`your key ${REDACTED}`);
    expect(scrub.text(`your key ${KEY.slice(0, 8)}`)).toBe(`your key ${REDACTED}`);
    expect(scrub.text(`your key ${KEY.slice(0, 7)}`)).toBe(`your key ${KEY.slice(0, 7)}`);
  });

  it('replaces a secret in every nested JSON string and key, leaving the input untouched', () => {
    const body = { error: { message: `Incorrect API key provided: ${KEY}`, details: [{ seen: [1, `Bearer ${KEY}`] }, { untouched: true }], [KEY]: 'as a key' }, ok: 1 };
    const copy = structuredClone(body);
    const clean = scrub.json(body) as typeof body;
    expect(clean).toEqual({ error: { message: `Incorrect API key provided: ${REDACTED}`, details: [{ seen: [1, REDACTED] }, { untouched: true }], [REDACTED]: 'as a key' }, ok: 1 });
    expect(JSON.stringify(clean)).not.toContain(KEY.slice(0, 8));
    expect(body).toEqual(copy);
    // Branches without a secret are shared, not copied.
    expect(clean.error.details[1]).toBe(body.error.details[1]);
  });

  it('returns the same object when a JSON value holds no secret', () => {
    const body = { error: { message: 'model not found', details: [{ reason: 'x' }, 'y', 3, null] } };
    expect(scrub.json(body)).toBe(body);
  });

  it('keeps a __proto__ key a key when it copies an object', () => {
    const body = JSON.parse(`{"__proto__": {"x": 1}, "message": "${KEY}"}`) as Record<string, unknown>;
    const clean = scrub.json(body) as Record<string, unknown>;
    expect(Object.getPrototypeOf(clean)).toBe(Object.prototype);
    expect(Object.hasOwn(clean, '__proto__')).toBe(true);
    expect(clean.message).toBe(REDACTED);
  });

  it('replaces what lies below 128 levels of nesting, which it cannot check, and does not overflow', () => {
    let deep: unknown = KEY;
    for (let level = 0; level < 10_000; level++) deep = [deep];
    expect(JSON.stringify(scrub.json(deep))).not.toContain(KEY);
  });

  it('parses JSON text with the secret replaced, even where it is spelled escaped', () => {
    const slashed = 'key/with/slashes"and-quote';
    const odd = createSecretScrubber([slashed]);
    expect(odd.parseJson(JSON.stringify({ message: `bad key ${slashed}` }))).toEqual({ message: `bad key ${REDACTED}` });
    expect(odd.parseJson(JSON.stringify({ message: `bad key ${slashed}` }).replaceAll('/', '\\/'))).toEqual({ message: `bad key ${REDACTED}` });
    expect(odd.text(`data: ${JSON.stringify({ message: slashed })}`)).toBe(`data: {"message":"${REDACTED}"}`);
  });

  it('parses a body whose secret is spelled like a JSON number', () => {
    const digits = createSecretScrubber(['1234567890']);
    expect(digits.parseJson('{"account": 1234567890, "echo": "1234567890"}')).toEqual({ account: 1234567890, echo: REDACTED });
    expect(() => digits.parseJson('not json 1234567890')).toThrow(SyntaxError);
  });

  it('scrubs a ProviderHttpError in place: message, stack, body, forwarded headers, exchange, causes', () => {
    const cause = new Error(`socket said ${KEY}`);
    const error = new ProviderHttpError('up', 401, `provider up returned HTTP 401: bad key ${KEY}`, { error: { message: `bad key ${KEY}` } }, { headers: { 'retry-after': KEY }, cause });
    error.exchange = { url: 'http://x', requestBody: {}, status: 401, responseBody: error.body };
    expect(scrub.error(error)).toBe(error);
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect(error.message).toBe(`provider up returned HTTP 401: bad key ${REDACTED}`);
    expect(error.stack).not.toContain(KEY);
    expect(error.body).toEqual({ error: { message: `bad key ${REDACTED}` } });
    expect(error.headers).toEqual({ 'retry-after': REDACTED });
    expect(error.exchange.responseBody).toEqual({ error: { message: `bad key ${REDACTED}` } });
    expect(cause.message).toBe(`socket said ${REDACTED}`);
  });

  it('leaves an error without a secret as it was', () => {
    const error = new ProviderUnreachableError('up', 'provider up is unreachable: connect ECONNREFUSED');
    const { message, stack } = error;
    expect(scrub.error(error)).toBe(error);
    expect(error.message).toBe(message);
    expect(error.stack).toBe(stack);
  });

  it('does nothing without secrets', () => {
    const none = createSecretScrubber([]);
    const body = { message: KEY };
    expect(none.has(KEY)).toBe(false);
    expect(none.text(KEY)).toBe(KEY);
    expect(none.json(body)).toBe(body);
  });
});
