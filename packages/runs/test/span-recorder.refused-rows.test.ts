import { count } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { getSpan, migrate, runs, spans, type Database, type GantryDb, type NewSpan } from '@gantry/db';
import { databaseTargets, type DatabaseTarget } from '../../db/test/test-databases.ts';
import { SpanRecorder, type SpanRecorderOptions } from '../src/span-recorder.ts';
import { call, flaky } from './recorder-fixtures.ts';

const NO_TIMER = { flushIntervalMs: 3_600_000 };
/** Valid JSON and valid JS text that Postgres refuses in text and jsonb columns. */
const ODD = 'a\u0000b\ud800c\udc00';

describe.each(databaseTargets)('SpanRecorder with rows the database refuses, on $kind', (target: DatabaseTarget) => {
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

  async function storedSpans(): Promise<number> {
    const [row] = await database.db.select({ value: count() }).from(spans);
    return row?.value ?? -1;
  }

  it('stores text Postgres refuses (NUL, lone surrogates) as sent, in the same batch as everyone else', async () => {
    const control = flaky(database.db);
    const spanRecorder = recorder(control.db);
    const odd = call();
    const span: NewSpan = { ...odd.spans[0]!, name: ODD, request: { user: ODD, messages: [{ role: 'user', content: ODD }] }, result: { [ODD]: ODD }, attributes: { note: ODD } };
    const others = call(3);
    spanRecorder.record({ spans: [span] });
    spanRecorder.record({ spans: others.spans });
    await spanRecorder.flush();

    expect(spanRecorder.getStats()).toMatchObject({ written: 4, dropped: 0, refused: 0, failedWrites: 0 });
    // One statement: nothing had to be split.
    expect(control.writes).toBe(1);
    expect(await getSpan(database.db, span.id)).toMatchObject(span);
  });

  it('finds the rows the database refuses by halving, writes the others, and never writes them again', async () => {
    const control = flaky(database.db);
    const onError = vi.fn();
    const spanRecorder = recorder(control.db, { onError });
    const rows = call(64);
    // Two integer columns out of range: one in place of span 20, one more span at the end. (A span
    // whose id is stored already is not refused: writing it again is a no-op, see insertSpans.)
    const outOfRange = { ...rows.spans[20]!, inputTokens: 2 ** 40 };
    const alsoOutOfRange = { ...rows.spans[40]!, id: `${rows.spans[40]!.id}-2`, outputTokens: -(2 ** 40) };
    const batch = [...rows.spans.slice(0, 20), outOfRange, ...rows.spans.slice(21), alsoOutOfRange];
    spanRecorder.record({ spans: batch });
    await spanRecorder.flush();

    expect(spanRecorder.getStats()).toMatchObject({ written: 63, dropped: 2, refused: 2, buffered: 0, failedWrites: 1 });
    expect(await storedSpans()).toBe(63);
    // Each as the row it was written as (column names), its refused value in it.
    expect(spanRecorder.refusedRows().map(({ table, row }) => ({ table, row }))).toEqual([
      { table: 'spans', row: expect.objectContaining({ id: outOfRange.id, run_id: outOfRange.runId, input_tokens: 2 ** 40 }) },
      { table: 'spans', row: expect.objectContaining({ id: alsoOutOfRange.id, output_tokens: -(2 ** 40) }) },
    ]);
    // About 2 × log2(65) statements per refused row, not one per row.
    const spanStatements = control.statements.filter((statement) => statement.sql.startsWith('insert into spans')).length;
    expect(spanStatements).toBeLessThanOrEqual(1 + 2 * 2 * 7);
    // Reported once, with the database's reason rather than the whole failed query.
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]![0].message).toMatch(/^the database refused 2 recorded rows \(spans\), set aside and never retried; the rest of the batch is written: /);
    expect(onError.mock.calls[0]![0].message).not.toContain('insert into');

    const writes = control.writes;
    await spanRecorder.flush();
    expect(control.writes).toBe(writes);
    const next = call();
    spanRecorder.record({ spans: next.spans });
    await spanRecorder.flush();
    expect(await storedSpans()).toBe(64);
    expect(control.writes).toBe(writes + 1);
  });

  it('sets aside a span JSON cannot hold when it is recorded (its row is made then), and writes the rest of the call', async () => {
    const control = flaky(database.db);
    const onError = vi.fn();
    const spanRecorder = recorder(control.db, { onError });
    const rows = call(3);
    // A BigInt: JSON.stringify throws a TypeError, as it throws a RangeError for a string past V8's largest.
    const unwritable = { ...rows.spans[1]!, attributes: { tokens: 10n } };
    expect(() => spanRecorder.record({ spans: [rows.spans[0]!, unwritable, rows.spans[2]!] })).not.toThrow();
    expect(spanRecorder.getStats()).toMatchObject({ buffered: 2, refused: 1, dropped: 1 });
    expect(spanRecorder.refusedRows()).toEqual([{ table: 'spans', row: unwritable, error: expect.any(TypeError) }]);
    expect(onError).toHaveBeenCalledTimes(1);

    await spanRecorder.flush();
    expect(spanRecorder.getStats()).toMatchObject({ written: 2, buffered: 0 });
    expect(await storedSpans()).toBe(2);
    expect(control.writes).toBe(1);
  });

  it('keeps a batch while the database is away, and isolates its refused row once it is back', async () => {
    const control = flaky(database.db);
    const spanRecorder = recorder(control.db);
    const rows = call(4);
    control.down = true;
    spanRecorder.record({ spans: [...rows.spans, { ...rows.spans[1]!, id: `${rows.spans[1]!.id}-2`, inputTokens: 2 ** 40 }] });
    await spanRecorder.flush();
    await spanRecorder.flush();
    expect(spanRecorder.getStats()).toMatchObject({ written: 0, buffered: 5, refused: 0, failedWrites: 2 });

    control.down = false;
    await spanRecorder.flush();
    expect(spanRecorder.getStats()).toMatchObject({ written: 4, buffered: 0, refused: 1, dropped: 1 });
    expect(await storedSpans()).toBe(4);
  });

  it('keeps what is not written yet when the database goes away while refused rows are being found', async () => {
    const control = flaky(database.db);
    const spanRecorder = recorder(control.db);
    const rows = call(8);
    // Statements: the whole batch (refused: a count out of range), its first half (5 spans,
    // written), then the connection is lost on the second half (4 spans, the refused one among them).
    control.failExecute = 3;
    spanRecorder.record({ spans: [...rows.spans, { ...rows.spans[7]!, id: `${rows.spans[7]!.id}-2`, inputTokens: 2 ** 40 }] });
    await spanRecorder.flush();
    expect(spanRecorder.getStats()).toMatchObject({ written: 5, buffered: 4, refused: 0, dropped: 0 });

    await spanRecorder.flush();
    expect(spanRecorder.getStats()).toMatchObject({ written: 8, buffered: 0, refused: 1, dropped: 1 });
    expect(await storedSpans()).toBe(8);
  });
});
