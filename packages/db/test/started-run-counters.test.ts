import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun, getRunCounter, insertResponses, insertRunsIgnoreExisting, insertStartedRun, migrate, newId, reserveInLedger, setRunLimits, type Database, type StartedRun } from '../src/index.ts';
import { databaseTargets, type DatabaseTarget } from './test-databases.ts';

const EPOCH = new Date(0).toISOString();

function startedRun(): StartedRun & { counter: NonNullable<StartedRun['counter']> } {
  const id = newId();
  const startedAt = new Date('2030-01-01T00:00:00.000Z');
  const endedAt = new Date('2030-01-01T00:00:02.000Z');
  return {
    row: { id, scope: 'master', clientRunId: id, rootRunId: id, status: 'running', startedAt, lastActivityAt: startedAt },
    totals: { id, costMicros: 14, inputTokens: 8, outputTokens: 3, llmCalls: 1, toolCalls: 2, lastActivityAt: endedAt },
    counter: { rootRunId: id, limits: { maxCalls: 5, maxCostMicros: 1_000 }, startedAt, spentMicros: 14, calls: 1, tokens: 11 },
  };
}

const FIRST_CALL_TOTALS = { costMicros: 14, inputTokens: 8, outputTokens: 3, llmCalls: 1, toolCalls: 2, lastActivityAt: new Date('2030-01-01T00:00:02.000Z') };

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

  it('writes a started run with its response: its row with its first call’s totals, its counter as the run’s first reservation would have left it', async () => {
    const run = startedRun();
    const { row, counter } = run;
    await insertResponses(database.db, [
      { id: newId(), owner: { apiKeyId: null, teamId: null }, runId: row.id, previousResponseId: null, stored: false, response: null, inputItems: [], outputItems: [], createdAt: new Date(), newRun: run },
    ]);
    expect(await getRun(database.db, row.id)).toMatchObject({ status: 'running', startedAt: row.startedAt, ...FIRST_CALL_TOTALS });
    expect(await getRunCounter(database.db, row.id)).toMatchObject({ spentMicros: 14, reservedMicros: 0, calls: 1, tokens: 11, limitCalls: 5, limitMicros: 1_000, limitTokens: null, createdAt: counter.startedAt });
    // The run's next call reserves against it: 4 more calls fit under max_calls 5, the 5th does not.
    const reserve = () =>
      reserveInLedger(database.db, { id: newId(), at: new Date(), amountMicros: 10, tokens: 1, apiKeyId: null, teamId: null, customerId: null, runId: row.id, rootRunId: row.id, runName: null, model: 'm' }, [
        { scope: `run:${row.id}`, window: EPOCH, stored: true, limitCalls: 99 },
      ]);
    for (let call = 0; call < 4; call++) expect(await reserve()).toEqual({ ok: true });
    expect(await reserve()).toMatchObject({ ok: false, reason: 'calls' });
  });

  it('adds to a run row and a counter that exist already, keeping the counter’s limits and the earlier start', async () => {
    const run = startedRun();
    const { row, counter } = run;
    // A call named the run while its first call was in flight; an admin set the run's limits.
    await insertRunsIgnoreExisting(database.db, [{ ...row, costMicros: 100, llmCalls: 1, lastActivityAt: new Date('2030-01-01T00:00:05.000Z') }]);
    await setRunLimits(database.db, row.id, { maxCalls: 2 });
    const before = await getRunCounter(database.db, row.id);
    await insertStartedRun(database.db, run);
    expect(await getRun(database.db, row.id)).toMatchObject({ costMicros: 114, inputTokens: 8, outputTokens: 3, llmCalls: 2, toolCalls: 2, lastActivityAt: new Date('2030-01-01T00:00:05.000Z') });
    const after = await getRunCounter(database.db, row.id);
    expect(after).toMatchObject({ spentMicros: 14, calls: 1, tokens: 11, limitCalls: 2, limitMicros: null });
    expect(after!.createdAt.getTime()).toBe(Math.min(before!.createdAt.getTime(), counter.startedAt.getTime()));
    // Written with neither (its call was refused before it began): only the row.
    const refused = startedRun();
    await insertStartedRun(database.db, { row: refused.row, totals: undefined, counter: undefined });
    expect(await getRunCounter(database.db, refused.row.id)).toBeUndefined();
    expect(await getRun(database.db, refused.row.id)).toMatchObject({ costMicros: 0, llmCalls: 0, lastActivityAt: refused.row.lastActivityAt });
  });
});
