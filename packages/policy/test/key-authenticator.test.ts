import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertApiKey, migrate, revokeApiKey, type Database } from '@gantry/db';
import { AuthenticationError } from '@gantry/spec';
import { databaseTargets, type DatabaseTarget } from '../../db/test/test-databases.ts';
import { generateApiKeySecret, hashApiKeySecret, KeyAuthenticator, type KeyAuthenticatorOptions } from '../src/index.ts';

const MASTER_KEY = 'gk-master-unit-test-key';
const TTL_MS = 10_000;

it('hashes secrets as SHA-256 hex, as every stored key was hashed (FIPS 180-2 test vector)', () => {
  expect(hashApiKeySecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

describe.each(databaseTargets)('KeyAuthenticator on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;
  const authenticators: KeyAuthenticator[] = [];
  let sequence = 0;

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
  });
  afterEach(async () => {
    await Promise.all(authenticators.splice(0).map((authenticator) => authenticator.close()));
  });
  afterAll(async () => {
    await scratch?.tearDown();
  });

  function authenticator(options: Partial<KeyAuthenticatorOptions> = {}): KeyAuthenticator {
    const made = new KeyAuthenticator(database.db, { masterKey: MASTER_KEY, cacheTtlMs: TTL_MS, ...options });
    authenticators.push(made);
    return made;
  }

  async function createKey(expiresAt: Date | null = null): Promise<{ id: string; secret: string }> {
    const { secret, prefix, hash } = generateApiKeySecret();
    sequence += 1;
    const id = `key-${sequence}`;
    await insertApiKey(database.db, { id, name: `test key ${sequence}`, prefix, secretHash: hash, expiresAt });
    return { id, secret };
  }

  it('accepts the master key as the master principal', async () => {
    await expect(authenticator().authenticate(MASTER_KEY)).resolves.toEqual({ kind: 'master' });
  });

  it('rejects everything but stored keys when no master key is configured', async () => {
    await expect(authenticator({ masterKey: undefined }).authenticate(MASTER_KEY)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('rejects a missing key and says how to send one', async () => {
    const auth = authenticator();
    await expect(auth.authenticate(undefined)).rejects.toThrow(/Authorization: Bearer/);
    await expect(auth.authenticate('')).rejects.toThrow(/Authorization: Bearer/);
  });

  it('accepts a generated key once it is stored, as that key', async () => {
    const { id, secret } = await createKey();
    await expect(authenticator().authenticate(secret)).resolves.toMatchObject({ kind: 'key', keyId: id, teamId: null });
  });

  it('rejects a wrong secret that shares a stored key\'s prefix', async () => {
    const { secret } = await createKey();
    const last = secret.at(-1) === 'A' ? 'B' : 'A';
    const forged = secret.slice(0, -1) + last;
    expect(forged.slice(0, 12)).toBe(secret.slice(0, 12));
    const error = await authenticator().authenticate(forged).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    // the message shows only the start of what was sent, never the whole secret
    expect((error as Error).message).not.toContain(forged);
  });

  it('rejects an unknown key', async () => {
    await expect(authenticator().authenticate(generateApiKeySecret().secret)).rejects.toThrow(/does not exist or was revoked/);
  });

  it('rejects a key past its expiry and says it expired', async () => {
    const { secret } = await createKey(new Date(Date.now() - 60_000));
    await expect(authenticator().authenticate(secret)).rejects.toThrow(/expired/);
  });

  it('rejects a cached key once its expiry passes', async () => {
    let now = Date.now();
    const { secret } = await createKey(new Date(now + 1000));
    const auth = authenticator({ now: () => now });
    await expect(auth.authenticate(secret)).resolves.toMatchObject({ kind: 'key' });
    now += 1000;
    await expect(auth.authenticate(secret)).rejects.toThrow(/expired/);
  });

  it('rejects a revoked key at once after invalidate() on the revoking instance', async () => {
    const { id, secret } = await createKey();
    const auth = authenticator();
    await expect(auth.authenticate(secret)).resolves.toMatchObject({ keyId: id });
    await revokeApiKey(database.db, id);
    auth.invalidate(id);
    await expect(auth.authenticate(secret)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('trusts a cached key for the TTL only, so a revocation on another instance takes effect after it', async () => {
    let now = 1_000_000;
    const { id, secret } = await createKey();
    const auth = authenticator({ now: () => now });
    await expect(auth.authenticate(secret)).resolves.toMatchObject({ keyId: id });

    // Another instance revokes the key: this one never hears of it.
    await revokeApiKey(database.db, id);
    now += TTL_MS - 1;
    await expect(auth.authenticate(secret)).resolves.toMatchObject({ keyId: id });

    now += 1;
    await expect(auth.authenticate(secret)).rejects.toThrow(/does not exist or was revoked/);
    // and stays rejected
    await expect(auth.authenticate(secret)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('verifies a key in use again in the background once half its TTL is up: no call waits, and a revocation shows sooner', async () => {
    let now = 1_000_000;
    const { id, secret } = await createKey();
    const auth = authenticator({ now: () => now });
    await expect(auth.authenticate(secret)).resolves.toMatchObject({ keyId: id });
    await revokeApiKey(database.db, id);
    now += TTL_MS / 2;
    // Still within the TTL: answered from the cache at once, while the database is asked again.
    await expect(auth.authenticate(secret)).resolves.toMatchObject({ keyId: id });
    // The clock stays before the TTL's end: the revocation shows through the background check alone.
    await expect.poll(() => auth.authenticate(secret).then(() => 'accepted', (error: Error) => error.message)).toMatch(/does not exist or was revoked/);
  });

  it('asks the database once for many concurrent calls with a key it has not verified', async () => {
    const { id, secret } = await createKey();
    const auth = authenticator();
    const lookups = (auth as unknown as { lookups: Map<string, unknown> }).lookups;
    const calls = Array.from({ length: 20 }, () => auth.authenticate(secret));
    expect(lookups.size).toBe(1);
    for (const principal of await Promise.all(calls)) expect(principal).toMatchObject({ keyId: id });
    expect(lookups.size).toBe(0);
  });

  it('keeps other keys working when one is invalidated', async () => {
    const first = await createKey();
    const second = await createKey();
    const auth = authenticator();
    await auth.authenticate(first.secret);
    await auth.authenticate(second.secret);
    await revokeApiKey(database.db, first.id);
    auth.invalidate(first.id);
    await expect(auth.authenticate(second.secret)).resolves.toMatchObject({ keyId: second.id });
  });

  it('records last use of accepted keys when closed', async () => {
    const { id, secret } = await createKey();
    const auth = authenticator();
    await auth.authenticate(secret);
    await auth.close();
    const row = await database.db.query.apiKeys.findFirst({ where: (keys, { eq }) => eq(keys.id, id) });
    expect(row?.lastUsedAt).toBeInstanceOf(Date);
  });
});

describe('KeyAuthenticator while the database is away', () => {
  it('keeps a recently verified key working past its cache time, for staleIfUnavailableMs, then fails', async () => {
    const { createDatabase } = await import('@gantry/db');
    const database = await createDatabase({});
    await migrate(database);
    const { secret, prefix, hash } = generateApiKeySecret();
    await insertApiKey(database.db, { id: 'key-away', name: 'away', prefix, secretHash: hash, expiresAt: null });
    let now = 1_000_000;
    const authenticator = new KeyAuthenticator(database.db, { masterKey: MASTER_KEY, cacheTtlMs: TTL_MS, staleIfUnavailableMs: 60_000, now: () => now });
    try {
      await expect(authenticator.authenticate(secret)).resolves.toMatchObject({ kind: 'key', keyId: 'key-away' });
      await database.close();
      now += TTL_MS + 1;
      await expect(authenticator.authenticate(secret)).resolves.toMatchObject({ kind: 'key', keyId: 'key-away' });
      now += 60_000;
      await expect(authenticator.authenticate(secret)).rejects.toThrow();
      // A key never verified is not let in by an outage.
      await expect(authenticator.authenticate(generateApiKeySecret().secret)).rejects.toThrow();
    } finally {
      await authenticator.close();
    }
  });
});
