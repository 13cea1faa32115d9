import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, budgets, listBudgets, migrate, type Database } from '@gantry/db';
import { eq } from 'drizzle-orm';
import { databaseTargets, type DatabaseTarget } from '../../db/test/test-databases.ts';
import { hashApiKeySecret, PolicyStore } from '../src/index.ts';

describe.each(databaseTargets)('policy store writes on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;
  /** This instance: the one the admin writes go through. */
  let store: PolicyStore;
  /** Another gateway instance on the same database; its timer is too slow to tick during a test. */
  let other: PolicyStore;
  let sequence = 0;
  const unique = (name: string) => `${name}-${++sequence}`;

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
    store = new PolicyStore(database.db, { refreshMs: 60_000 });
    other = new PolicyStore(database.db, { refreshMs: 60_000 });
  });
  afterAll(async () => {
    store?.close();
    other?.close();
    await scratch?.tearDown();
  });

  it('shows a created team, key, customer and budget in its own snapshot as soon as the write returns', async () => {
    const team = await store.createTeam({ name: unique('team'), limits: { rpm: 5 } });
    const { key } = await store.createKey({ name: unique('key'), teamId: team.id, allowedModels: ['fast'] });
    const customer = await store.createCustomer({ externalId: unique('customer'), teamId: team.id });
    const budget = await store.createBudget({ scope: 'key', scopeId: key.id, period: 'day', limitMicros: 1_000_000 });

    expect(store.current.teams.get(team.id)).toEqual({ name: team.name, limits: { rpm: 5 } });
    expect(store.current.keys.get(key.id)).toEqual({ name: key.name, teamId: team.id, allowedModels: ['fast'], limits: {} });
    expect(store.customerId(team.id, customer!.externalId)).toBe(customer!.id);
    expect(store.budgetsOf('key', key.id).map((each) => each.id)).toEqual([budget!.id]);
  });

  it('returns a new key secret once and stores only its hash', async () => {
    const { key, secret } = await store.createKey({ name: unique('key') });
    expect(secret).toMatch(/^gk-[A-Za-z0-9_-]{40,}$/);
    expect(key.prefix).toBe(secret.slice(0, key.prefix.length));
    expect(key).not.toHaveProperty('secretHash');
    const [row] = await database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(row?.secretHash).toBe(hashApiKeySecret(secret));
  });

  it('leaves another instance on its old snapshot until its next reload, which shows the write', async () => {
    await other.reload();
    const team = await store.createTeam({ name: unique('team') });
    expect(other.current.teams.has(team.id)).toBe(false);
    await other.reload();
    expect(other.current.teams.get(team.id)?.name).toBe(team.name);
  });

  it('creates a budget on a key another instance created a moment ago, which its snapshot does not hold yet', async () => {
    const { key } = await other.createKey({ name: unique('key') });
    expect(store.current.keys.has(key.id)).toBe(false);
    const budget = await store.createBudget({ scope: 'key', scopeId: key.id, period: 'month', limitMicros: 5 });
    expect(budget).toMatchObject({ scope: 'key', scopeId: key.id, period: 'month', limitMicros: 5 });
    expect(store.budgetsOf('key', key.id)).toHaveLength(1);
  });

  it('refuses a budget on a team, customer or key that does not exist or was revoked, and writes nothing', async () => {
    const { key } = await store.createKey({ name: unique('key') });
    expect(await store.revokeKey(key.id)).toBe(true);
    const before = await database.db.select().from(budgets);
    for (const [scope, scopeId] of [['team', 'no-such-team'], ['customer', 'no-such-customer'], ['key', 'no-such-key'], ['key', key.id]] as const) {
      expect(await store.createBudget({ scope, scopeId, period: 'day', limitMicros: 1 }), `${scope} ${scopeId}`).toBeUndefined();
    }
    expect(await database.db.select().from(budgets)).toHaveLength(before.length);
  });

  it('deletes the budgets of a deleted team or customer and of a revoked key, and drops them from the snapshot', async () => {
    const team = await store.createTeam({ name: unique('team') });
    const customer = (await store.createCustomer({ externalId: unique('customer'), teamId: null }))!;
    const { key } = await store.createKey({ name: unique('key') });
    await store.createBudget({ scope: 'team', scopeId: team.id, period: 'day', limitMicros: 1 });
    await store.createBudget({ scope: 'customer', scopeId: customer.id, period: 'day', limitMicros: 1 });
    await store.createBudget({ scope: 'key', scopeId: key.id, period: 'day', limitMicros: 1 });

    expect(await store.deleteTeam(team.id)).toBe(true);
    expect(await store.deleteCustomer(customer.id)).toBe(true);
    expect(await store.revokeKey(key.id)).toBe(true);

    for (const [scope, scopeId] of [['team', team.id], ['customer', customer.id], ['key', key.id]] as const) {
      expect(await listBudgets(database.db, { scope, scopeId }), `${scope} budgets in the database`).toEqual([]);
      expect(store.budgetsOf(scope, scopeId), `${scope} budgets in the snapshot`).toEqual([]);
    }
    expect(store.current.teams.has(team.id)).toBe(false);
    expect(store.customerId(null, customer.externalId)).toBeUndefined();
    expect(store.current.keys.has(key.id)).toBe(false);
    expect([await store.deleteTeam(team.id), await store.deleteCustomer(customer.id), await store.revokeKey(key.id)]).toEqual([false, false, false]);
  });

  it('applies updated limits to its snapshot and answers undefined for an id that names nothing', async () => {
    const team = await store.createTeam({ name: unique('team') });
    const { key } = await store.createKey({ name: unique('key') });
    await store.updateTeam(team.id, { limits: { tpm: 100 } });
    await store.updateKey(key.id, { teamId: team.id, limits: { maxParallel: 2 } });
    expect(store.current.teams.get(team.id)?.limits).toEqual({ tpm: 100 });
    expect(store.current.keys.get(key.id)).toMatchObject({ teamId: team.id, limits: { maxParallel: 2 } });
    expect(await store.updateTeam('no-such-team', { name: 'x' })).toBeUndefined();
    expect(await store.updateKey('no-such-key', { name: 'x' })).toBeUndefined();
    expect(await store.updateCustomer('no-such-customer', { name: 'x' })).toBeUndefined();
    expect(await store.updateBudget('no-such-budget', { limitMicros: 1 })).toBeUndefined();
  });

  it('answers an update that sets nothing with the row unchanged, as SQL has no empty SET', async () => {
    const team = await store.createTeam({ name: unique('team'), metadata: { owner: 'infra' } });
    const { key } = await store.createKey({ name: unique('key') });
    const customer = (await store.createCustomer({ externalId: unique('customer'), teamId: team.id, name: 'Acme' }))!;
    const budget = (await store.createBudget({ scope: 'team', scopeId: team.id, period: 'week', limitMicros: 7 }))!;
    expect(await store.updateTeam(team.id, {})).toEqual(team);
    expect(await store.updateKey(key.id, { name: undefined })).toEqual(key);
    expect(await store.updateCustomer(customer.id, {})).toEqual(customer);
    expect(await store.updateBudget(budget.id, {})).toEqual(budget);
    expect(await store.updateTeam('no-such-team', {})).toBeUndefined();
    expect(await store.updateKey('no-such-key', {})).toBeUndefined();
  });

  it('answers undefined for a customer whose external id is taken in that team, and throws the unique violation for a taken team name', async () => {
    const team = await store.createTeam({ name: unique('team') });
    const externalId = unique('customer');
    expect(await store.createCustomer({ externalId, teamId: team.id })).toBeDefined();
    expect(await store.createCustomer({ externalId, teamId: team.id })).toBeUndefined();
    expect(await store.createCustomer({ externalId, teamId: null })).toBeDefined();
    await expect(store.createTeam({ name: team.name })).rejects.toSatisfy((error: { code?: string; cause?: { code?: string } }) => (error.cause?.code ?? error.code) === '23505');
  });
});
