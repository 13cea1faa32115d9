import { count, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrate, runRows, runs, spans, type Database, type GantryDb } from '@gantry/db';
import { databaseTargets, type DatabaseTarget } from '../../db/test/test-databases.ts';
import { SpanRecorder, type SpanRecorderOptions } from '../src/index.ts';
import { call, flaky } from './recorder-fixtures.ts';

const NO_TIMER = { flushIntervalMs: 3_600_000 };

describe.each(databaseTargets)('SpanRecorder on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;
  const recorders: SpanRecorder[] = [];

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
  });
  afterEach(async () => {
    await Promise.all(recorders.splice(0).map((recorder) => recorder.close()));
    await database.db.delete(spans);
    await database.db.delete(runs);
  });
  afterAll(async () => {
    await scratch?.tearDown();
  });

  function recorder(db: GantryDb, options: SpanRecorderOptions = {}): SpanRecorder {
    const made = new SpanRecorder(db, { ...NO_TIMER, ...options });
    recorders.push(made);
    return made;
  }

  async function stored(): Promise<{ runs: number; spans: number }> {
    // One-call runs have no row: they are read from their span.
    const [runCount] = await database.db.select({ value: count() }).from(runRows);
    const [spanCount] = await database.db.select({ value: count() }).from(spans);
    return { runs: runCount?.value ?? -1, spans: spanCount?.value ?? -1 };
  }

  it('writes recorded runs and spans on flush', async () => {
    const spanRecorder = recorder(database.db);
    const rows = call(2);
    spanRecorder.record({ spans: rows.spans });
    expect(await stored()).toEqual({ runs: 0, spans: 0 });

    await spanRecorder.flush();
    expect(await stored()).toEqual({ runs: 1, spans: 2 });
    expect(spanRecorder.getStats()).toEqual({ written: 2, dropped: 0, buffered: 0, bufferedBytes: 0, failedWrites: 0, refused: 0, truncated: 0 });
  });

  it('writes many recorded calls in one insert per table', async () => {
    const control = flaky(database.db);
    const spanRecorder = recorder(control.db, { batchSize: 10_000 });
    for (let index = 0; index < 100; index++) {
      const rows = call(2);
      spanRecorder.record({ spans: rows.spans });
    }
    expect(control.writes).toBe(0);
    await spanRecorder.flush();
    // The spans; the runs are read from them (one-call runs have no row).
    expect(control.writes).toBe(1);
    expect(await stored()).toEqual({ runs: 100, spans: 200 });
  });

  it('writes a full batch without waiting for the timer', async () => {
    const spanRecorder = recorder(database.db, { batchSize: 10 });
    for (let index = 0; index < 5; index++) {
      const rows = call(2);
      spanRecorder.record({ spans: rows.spans });
    }
    await vi.waitFor(async () => expect((await stored()).spans).toBe(10), { timeout: 5000, interval: 20 });
  });

  it('writes on its timer', async () => {
    const spanRecorder = recorder(database.db, { flushIntervalMs: 10 });
    const rows = call();
    spanRecorder.record({ spans: rows.spans });
    await vi.waitFor(async () => expect(await stored()).toEqual({ runs: 1, spans: 1 }), { timeout: 5000, interval: 20 });
  });

  it('keeps spans buffered while the database fails and writes them once it works again', async () => {
    const control = flaky(database.db);
    const onError = vi.fn();
    const spanRecorder = recorder(control.db, { onError });
    control.down = true;
    const rows = call(2);
    spanRecorder.record({ spans: rows.spans });

    await expect(spanRecorder.flush()).resolves.toBeUndefined();
    await spanRecorder.flush();
    expect(spanRecorder.getStats()).toMatchObject({ written: 0, dropped: 0, buffered: 2, failedWrites: 2, refused: 0 });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'connection refused' }), { dropped: 0, buffered: 2 });
    expect(await stored()).toEqual({ runs: 0, spans: 0 });

    control.down = false;
    await spanRecorder.flush();
    expect(await stored()).toEqual({ runs: 1, spans: 2 });
    expect(spanRecorder.getStats()).toMatchObject({ written: 2, buffered: 0 });
  });

  it('keeps a batch the spans table could not take, and writes it once the table is back', async () => {
    const spanRecorder = recorder(database.db);
    const rows = call(1);
    spanRecorder.record({ spans: rows.spans });
    // The one-call run is read from its span: neither is there until the span is written.
    await database.db.execute(sql`alter table spans rename to spans_unavailable`);
    try {
      await spanRecorder.flush();
    } finally {
      await database.db.execute(sql`alter table spans_unavailable rename to spans`);
    }
    expect(spanRecorder.getStats()).toMatchObject({ failedWrites: 1, buffered: 1 });
    expect(await stored()).toEqual({ runs: 0, spans: 0 });

    await spanRecorder.flush();
    expect(await stored()).toEqual({ runs: 1, spans: 1 });
    expect(spanRecorder.getStats()).toMatchObject({ written: 1, buffered: 0 });
  });

  it('drops and counts spans beyond maxBufferedSpans while the database is down', async () => {
    const control = flaky(database.db);
    const onError = vi.fn();
    const spanRecorder = recorder(control.db, { maxBufferedSpans: 10, onError });
    control.down = true;
    for (let index = 0; index < 25; index++) {
      const rows = call();
      spanRecorder.record({ spans: rows.spans });
    }
    expect(spanRecorder.getStats()).toMatchObject({ written: 0, dropped: 15, buffered: 10, failedWrites: 0 });
    expect(onError).toHaveBeenLastCalledWith(expect.any(Error), { dropped: 15, buffered: 10 });

    control.down = false;
    await spanRecorder.flush();
    expect(await stored()).toEqual({ runs: 10, spans: 10 });
  });

  it('stays within its bound, runs included, through failed writes that overlap new calls', async () => {
    const control = flaky(database.db);
    const spanRecorder = recorder(control.db, { maxBufferedSpans: 10 });
    control.down = true;
    let recorded = 0;
    for (let cycle = 0; cycle < 5; cycle++) {
      // A write is under way (its batch taken from the buffer) while calls keep coming.
      const writing = spanRecorder.flush();
      for (let index = 0; index < 10; index++) {
        const rows = call();
        spanRecorder.record({ spans: rows.spans });
        recorded += 1;
      }
      await writing;
      const stats = spanRecorder.getStats();
      expect(stats.buffered).toBeLessThanOrEqual(10);
      expect(stats.buffered + stats.dropped).toBe(recorded);
    }

    control.down = false;
    await spanRecorder.flush();
    const { buffered, dropped, written } = spanRecorder.getStats();
    expect({ buffered, written: written + dropped }).toEqual({ buffered: 0, written: recorded });
    // A dropped span takes its run with it, as when the buffer is full on record().
    expect(await stored()).toEqual({ runs: written, spans: written });
  });

  it('also writes what was recorded while an earlier flush was writing', async () => {
    const spanRecorder = recorder(database.db);
    const first = call();
    spanRecorder.record({ spans: first.spans });
    const writing = spanRecorder.flush();
    const second = call();
    spanRecorder.record({ spans: second.spans });

    await spanRecorder.flush();
    expect(await stored()).toEqual({ runs: 2, spans: 2 });
    await writing;
  });

  it('writes what is buffered on close()', async () => {
    const spanRecorder = recorder(database.db);
    const rows = call(3);
    spanRecorder.record({ spans: rows.spans });
    await spanRecorder.close();
    expect(await stored()).toEqual({ runs: 1, spans: 3 });
  });

  it('retries a failed write on close()', async () => {
    const control = flaky(database.db);
    const spanRecorder = recorder(control.db, {
      // The database comes back right after the first failure.
      onError: () => {
        control.down = false;
      },
    });
    control.down = true;
    const rows = call();
    spanRecorder.record({ spans: rows.spans });
    await spanRecorder.close();
    expect(spanRecorder.getStats()).toMatchObject({ written: 1, failedWrites: 1, buffered: 0 });
    expect(await stored()).toEqual({ runs: 1, spans: 1 });
  });

  it('writes the rest of a batch the database refuses one row of, and drops only that row', async () => {
    const spanRecorder = recorder(database.db);
    const rows = call(3);
    // A count past the integer column fails the multi-row insert as a whole.
    const outOfRange = { ...rows.spans[0]!, id: `${rows.spans[0]!.id}-2`, oneCallRun: null, inputTokens: 2 ** 40 };
    spanRecorder.record({ spans: [...rows.spans, outOfRange] });
    await spanRecorder.flush();
    expect(spanRecorder.getStats()).toMatchObject({ written: 3, dropped: 1, buffered: 0 });
    expect(await stored()).toEqual({ runs: 1, spans: 3 });

    // Nothing is left to poison the next batch.
    const next = call();
    spanRecorder.record({ spans: next.spans });
    await spanRecorder.flush();
    expect(await stored()).toEqual({ runs: 2, spans: 4 });
  });

  it('writes nothing with recording off, while its listeners still see every call', async () => {
    const spanRecorder = recorder(database.db, { enabled: false });
    const seen: number[] = [];
    spanRecorder.addListener({ recorded: (recorded) => seen.push(recorded.spans.length) });
    const rows = call(2);
    spanRecorder.record({ spans: rows.spans });
    await spanRecorder.flush();
    expect(seen).toEqual([2]);
    expect(spanRecorder.getStats()).toMatchObject({ written: 0, buffered: 0 });
    expect(await stored()).toEqual({ runs: 0, spans: 0 });
  });
});
