import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertApiKey, insertBudget, insertCustomer, insertTeam, migrate, newId, type Database } from '../src/index.ts';
import { databaseTargets, type DatabaseTarget } from './test-databases.ts';

/** Version nibble 7, RFC 9562 variant bits `10`. */
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function millisecondsOf(id: string): number {
  return Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
}

describe('newId', () => {
  it('mints UUIDv7 ids in text form', () => {
    expect(newId()).toMatch(UUID_V7);
  });

  it('stamps each id with the millisecond it was minted in', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(millisecondsOf(id)).toBeGreaterThanOrEqual(before);
    expect(millisecondsOf(id)).toBeLessThanOrEqual(after);
  });

  it('mints ids that sort in the order they were minted, thousands per millisecond included', () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    // Without ids sharing a millisecond this would only test the clock.
    expect(new Set(ids.map(millisecondsOf)).size).toBeLessThan(ids.length);
    const outOfOrder = ids.findIndex((id, index) => index > 0 && id <= ids[index - 1]!);
    expect(outOfOrder).toBe(-1);
  });
});

describe.each(databaseTargets)('row ids on $kind', (target: DatabaseTarget) => {
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

  it('gives a team, customer, budget and API key inserted without an id a fresh UUIDv7', async () => {
    const team = await insertTeam(database.db, { name: `team-${newId()}` });
    const customer = await insertCustomer(database.db, { externalId: `customer-${newId()}`, teamId: team.id });
    const budget = await insertBudget(database.db, { scope: 'team', scopeId: team.id, period: 'day', limitMicros: 1_000_000 });
    const key = await insertApiKey(database.db, { name: 'defaulted', prefix: 'gk_defaulted', secretHash: `hash-${newId()}` });
    const ids = [team.id, customer?.id, budget.id, key.id];
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
