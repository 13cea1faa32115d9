import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiKeys,
  findApiKeysByPrefix,
  insertApiKey,
  listApiKeys,
  migrate,
  newId,
  revokeApiKey,
  touchApiKeyLastUsed,
  type Database,
  type NewApiKey,
} from '../src/index.ts';
import { databaseTargets, type DatabaseTarget } from './test-databases.ts';

function newKey(overrides: Partial<NewApiKey> = {}): NewApiKey {
  const secret = `gk_${randomUUID().replaceAll('-', '')}`;
  return {
    id: newId(),
    name: 'test key',
    prefix: secret.slice(0, 12),
    secretHash: `hash-${secret}`,
    ...overrides,
  };
}

describe.each(databaseTargets)('api keys repository on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
  });
  afterAll(async () => {
    await scratch.tearDown();
  });

  it('stores a key with defaults and round-trips scopes, metadata and times', async () => {
    const expiresAt = new Date('2031-02-03T04:05:06.789Z');
    const stored = await insertApiKey(
      database.db,
      newKey({
        scopes: ['runs:read', 'chat'],
        metadata: { owner: 'ops', limits: { rpm: 60 }, tags: ['a', 'ü'], none: null },
        expiresAt,
      }),
    );
    const plain = await insertApiKey(database.db, newKey());

    expect(stored.scopes).toEqual(['runs:read', 'chat']);
    expect(stored.metadata).toEqual({ owner: 'ops', limits: { rpm: 60 }, tags: ['a', 'ü'], none: null });
    expect(stored.expiresAt?.toISOString()).toBe(expiresAt.toISOString());
    expect(stored.createdAt).toBeInstanceOf(Date);
    expect(plain.scopes).toEqual([]);
    expect(plain.metadata).toEqual({});
    expect(plain.teamId).toBeNull();
    expect(plain.revokedAt).toBeNull();

    const [found] = await findApiKeysByPrefix(database.db, stored.prefix);
    expect(found).toEqual(stored);
  });

  it('rejects a second key with the same secret hash', async () => {
    const key = newKey();
    await insertApiKey(database.db, key);
    await expect(insertApiKey(database.db, newKey({ secretHash: key.secretHash }))).rejects.toThrow();
  });

  it('finds keys by prefix only while they are not revoked', async () => {
    const prefix = `gk_${randomUUID().slice(0, 9)}`;
    const active = await insertApiKey(database.db, newKey({ prefix }));
    const doomed = await insertApiKey(database.db, newKey({ prefix }));

    expect((await findApiKeysByPrefix(database.db, prefix)).map((key) => key.id).sort()).toEqual(
      [active.id, doomed.id].sort(),
    );

    expect(await revokeApiKey(database.db, doomed.id)).toBe(true);
    expect((await findApiKeysByPrefix(database.db, prefix)).map((key) => key.id)).toEqual([active.id]);
    expect(await findApiKeysByPrefix(database.db, 'gk_nosuchkey')).toEqual([]);
  });

  it('revokes a key once and reports unknown or already revoked keys', async () => {
    const key = await insertApiKey(database.db, newKey());

    expect(await revokeApiKey(database.db, key.id)).toBe(true);
    expect(await revokeApiKey(database.db, key.id)).toBe(false);
    expect(await revokeApiKey(database.db, newId())).toBe(false);

    const [row] = await database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(row?.revokedAt).toBeInstanceOf(Date);
  });

  it('lists keys newest first without ever exposing the secret hash', async () => {
    const older = await insertApiKey(
      database.db,
      newKey({ name: 'older', createdAt: new Date('2030-01-01T00:00:00Z') }),
    );
    const newer = await insertApiKey(
      database.db,
      newKey({ name: 'newer', createdAt: new Date('2030-01-02T00:00:00Z') }),
    );
    const revoked = await insertApiKey(database.db, newKey({ name: 'revoked' }));
    await revokeApiKey(database.db, revoked.id);

    const listed = await listApiKeys(database.db);
    const ids = listed.map((key) => key.id);

    expect(ids).toContain(revoked.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
    for (let index = 1; index < listed.length; index += 1) {
      const previous = listed[index - 1]?.createdAt.getTime() ?? 0;
      expect(listed[index]?.createdAt.getTime()).toBeLessThanOrEqual(previous);
    }
    for (const key of listed) {
      expect(Object.keys(key)).not.toContain('secretHash');
      expect(Object.keys(key)).not.toContain('secret_hash');
      expect(JSON.stringify(key)).not.toContain('hash-gk_');
    }
    expect(listed.find((key) => key.id === newer.id)?.name).toBe('newer');
  });

  it('touches last_used_at for the given keys only, without changing updated_at', async () => {
    const first = await insertApiKey(database.db, newKey());
    const second = await insertApiKey(database.db, newKey());
    const untouched = await insertApiKey(database.db, newKey());
    const at = new Date('2030-05-06T07:08:09.123Z');

    await touchApiKeyLastUsed(database.db, [first.id, second.id, first.id], at);
    await touchApiKeyLastUsed(database.db, []);

    const [reread] = await findApiKeysByPrefix(database.db, first.prefix);
    expect(reread?.lastUsedAt?.toISOString()).toBe(at.toISOString());
    expect(reread?.updatedAt.toISOString()).toBe(first.updatedAt.toISOString());
    const [secondReread] = await findApiKeysByPrefix(database.db, second.prefix);
    expect(secondReread?.lastUsedAt?.toISOString()).toBe(at.toISOString());
    const [untouchedReread] = await findApiKeysByPrefix(database.db, untouched.prefix);
    expect(untouchedReread?.lastUsedAt).toBeNull();
  });
});
