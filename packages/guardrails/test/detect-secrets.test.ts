import { describe, expect, it } from 'vitest';
import { createPiiScanner } from '../src/index.ts';

const scanSecrets = (text: string) =>
  createPiiScanner({ detectors: ['secret'] })
    .scan(text)
    .map((finding) => ({ value: finding.value, kind: finding.kind }));

const body = (length: number) => 'Zk3Qp8Lr2Wx7Nv5Tb9Hc4Md6Fy1Gs0Ja'.repeat(8).slice(0, length);
const jwt = (header: object) => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from('{"sub":"user_1","iat":1700000000}').toString('base64url')}.${body(43)}`;

describe('secret detector: provider keys', () => {
  it.each([
    ['openai_key', `sk-proj-${body(80)}`],
    ['openai_key', `sk-${body(48)}`],
    ['anthropic_key', `sk-ant-api03-${body(93)}AA`],
    ['google_api_key', `AIza${body(35)}`],
    ['github_token', `ghp_${body(36)}`],
    ['github_token', `github_pat_11${body(20)}_${body(59)}`],
    ['slack_token', 'xoxb-12345678901-1234567890123-' + body(24)],
    ['aws_access_key', 'AKIAIOSFODNN7EXAMPLE'],
    ['aws_access_key', 'ASIAY34FZKBOKMUTVV7A'],
    ['stripe_key', `sk_test_${body(24)}`],
  ])('finds a %s', (kind, key) => {
    expect(scanSecrets(`use ${key} for this`)).toEqual([{ value: key, kind }]);
  });

  it('does not take prefixes inside words or prose for keys', () => {
    expect(scanSecrets('task-list items, risk-free, sk-learn, sk-this-is-not-a-real-key-at-all, the AKIA prefix, AIzaSy, ghp_ tokens, xoxb- tokens')).toEqual([]);
  });
});

describe('secret detector: structured secrets', () => {
  it('finds a JWT whose header has "alg", whole', () => {
    const token = jwt({ alg: 'HS256', typ: 'JWT' });
    expect(scanSecrets(`Authorization: Bearer ${token}`)).toEqual([{ value: token, kind: 'jwt' }]);
  });

  it('does not take base64 JSON without an "alg" header, or a single segment, for a JWT', () => {
    expect(scanSecrets(`${jwt({ user: 'alice' })} and eyJmb28iOiJiYXIifQ`)).toEqual([]);
  });

  it('finds a private key block from BEGIN to END, and a block cut off before END', () => {
    const block = `-----BEGIN RSA PRIVATE KEY-----\n${body(64)}\n${body(40)}==\n-----END RSA PRIVATE KEY-----`;
    expect(scanSecrets(`key:\n${block}\nthanks`)).toEqual([{ value: block, kind: 'private_key' }]);
    const cut = `-----BEGIN OPENSSH PRIVATE KEY-----\n${body(64)}\n${body(12)}`;
    expect(scanSecrets(`${cut}\n... (truncated) sorry`)).toEqual([{ value: cut, kind: 'private_key' }]);
  });

  it('does not take public keys or certificates for secrets', () => {
    const text = `-----BEGIN PUBLIC KEY-----\n${body(64)}\n-----END PUBLIC KEY-----\n-----BEGIN CERTIFICATE-----\n${body(64)}\n-----END CERTIFICATE-----`;
    expect(scanSecrets(text)).toEqual([]);
  });
});

describe('secret detector: AWS secret keys and keyword-anchored tokens', () => {
  const awsSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  it('finds an AWS secret key after aws_secret_access_key or after an access key id', () => {
    expect(scanSecrets(`aws_secret_access_key = ${awsSecret}`)).toEqual([{ value: awsSecret, kind: 'aws_secret_key' }]);
    expect(scanSecrets(`export AWS_SECRET_ACCESS_KEY=${awsSecret}`)).toEqual([{ value: awsSecret, kind: 'aws_secret_key' }]);
    expect(scanSecrets(`creds: AKIAIOSFODNN7EXAMPLE / ${awsSecret}`)).toEqual([
      { value: 'AKIAIOSFODNN7EXAMPLE', kind: 'aws_access_key' },
      { value: awsSecret, kind: 'aws_secret_key' },
    ]);
  });

  it.each([
    'password: Rt9vXq2LmZ8kP4wN7bY1cH6j',
    'The webhook signing secret is Rt9vXq2LmZ8kP4wN7bY1cH6j, rotate it',
    'DB_PASSWORD=Rt9vXq2LmZ8kP4wN7bY1cH6j',
    '{"apiKey": "Rt9vXq2LmZ8kP4wN7bY1cH6j"}',
    'Use this bearer token: Rt9vXq2LmZ8kP4wN7bY1cH6j',
    'my secret is Rt9vXq2LmZ8kP4wN7bY1cH6j don\'t share',
  ])('finds a random token a few words after a keyword: %s', (text) => {
    expect(scanSecrets(text)).toEqual([{ value: 'Rt9vXq2LmZ8kP4wN7bY1cH6j', kind: 'generic' }]);
  });

  it('reports a prefixed key once, under its provider kind, when a keyword precedes it', () => {
    const key = `sk-proj-${body(60)}`;
    expect(scanSecrets(`OPENAI_API_KEY=${key}`)).toEqual([{ value: key, kind: 'openai_key' }]);
  });

  it.each([
    ['a UUID', 'token 3fa85f64-5717-4562-b3fc-2c963f66afa6'],
    ['a git SHA', 'The cache key is 9fceb02d0ae598e95dc970b74767f19372d61af8'],
    ['a docker digest', 'image key sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['base64 of words', 'The key is aGVsbG8gd29ybGQgZnJvbSB0aGUgZ2FudHJ5IHRlYW0= which says hello'],
    ['an identifier', 'idempotency key: ord_2024_11_05_000123 and key = user_profile_settings_v2'],
    ['a URL', 'Reset your password at https://accounts.example.com/reset?ticket=8f14e45fceea167a5a36dedd'],
    ['a path', 'The key /usr/local/etc/openssl@3/private/server2024.key is mounted'],
    ['a placeholder', 'API_KEY=${OPENAI_API_KEY}; token <YOUR_TOKEN_HERE>; password: ********'],
    ['a data URL', 'key image data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk'],
    ['a word containing a keyword', 'The keyboard Rt9vXq2LmZ8kP4wN7bY1cH6j and monkey Rt9vXq2LmZ8kP4wN7bY1cH6j'],
    ['a token far after the keyword', 'the key point, as we said in the meeting about the launch plan yesterday, is Rt9vXq2LmZ8kP4wN7bY1cH6j'],
    ['a random token with no keyword', 'run id Rt9vXq2LmZ8kP4wN7bY1cH6j finished'],
  ])('does not take %s for a secret', (_what, text) => {
    expect(scanSecrets(text)).toEqual([]);
  });
});
