import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRunCounter, insertResponses, insertStartedRun, migrate, newId, reserveInLedger, setRunLimits, type Database, type NewRun, type StartedRunCounter } from '../src/index.ts';
import { databaseTargets, type DatabaseTarget } from './test-databases.ts';

const EPOCH = new Date(0).toISOString();

function startedRun(): { row: NewRun; counter: StartedRunCounter } {
  const id = newId();
  const startedAt = new Date('2030-01-01T00:00:00.000Z');
  return {
    row: { id, scope: 'master', clientRunId: id, rootRunId: id, status: 'running', startedAt, lastActivityAt: startedAt },
    counter: { rootRunId: id, limits: { maxCalls: 5, maxCostMicros: 1_000 }, startedAt, spentMicros: 14, calls: 1, tokens: 11 },
  };
}

describe.each(databaseTargets)('started runs’ counters on $kind', (target: DatabaseTarget) => {
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

  it('writes a started run’s counter with its response, as the run’s first reservation would have left it', async () => {
    const { row, counter } = startedRun();
    await insertResponses(database.db, [
      { id: newId(), owner: { apiKeyId: null, teamId: null }, runId: row.id, previousResponseId: null, stored: false, response: null, inputItems: [], outputItems: [], createdAt: new Date(), newRun: row, newRunCounter: counter },
    ]);
    expect(await getRunCounter(database.db, row.id)).toMatchObject({ spentMicros: 14, reservedMicros: 0, calls: 1, tokens: 11, limitCalls: 5, limitMicros: 1_000, limitTokens: null, createdAt: counter.startedAt });
    // The run's next call reserves against it: 4 more calls fit under max_calls 5, the 5th does not.
    const reserve = () =>
      reserveInLedger(database.db, { id: newId(), at: new Date(), amountMicros: 10, tokens: 1, apiKeyId: null, teamId: null, customerId: null, runId: row.id, rootRunId: row.id, runName: null, model: 'm' }, [
        { scope: `run:${row.id}`, window: EPOCH, stored: true, limitCalls: 99 },
      ]);
    for (let call = 0; call < 4; call++) expect(await reserve()).toEqual({ ok: true });
    expect(await reserve()).toMatchObject({ ok: false, reason: 'calls' });
  });

  it('adds to a counter that exists already, keeping its limits and the earlier start', async () => {
    const { row, counter } = startedRun();
    // An admin set the run's limits while its first call was in flight.
    await setRunLimits(database.db, row.id, { maxCalls: 2 });
    const before = await getRunCounter(database.db, row.id);
    await insertStartedRun(database.db, row, counter);
    const after = await getRunCounter(database.db, row.id);
    expect(after).toMatchObject({ spentMicros: 14, calls: 1, tokens: 11, limitCalls: 2, limitMicros: null });
    expect(after!.createdAt.getTime()).toBe(Math.min(before!.createdAt.getTime(), counter.startedAt.getTime()));
    // Written without a counter (its call was refused before it began): only the row.
    const refused = startedRun();
    await insertStartedRun(database.db, refused.row, undefined);
    expect(await getRunCounter(database.db, refused.row.id)).toBeUndefined();
  });
});
