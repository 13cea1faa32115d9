import { createHash } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { getSpan, insertSpans, migrate, runs, spans, toolSpanId, type Database, type GantryDb } from '@gantry/db';
import { databaseTargets, type DatabaseTarget } from '../../db/test/test-databases.ts';
import { SpanRecorder, type SpanRecorderOptions } from '../src/span-recorder.ts';
import { TRUNCATED_HEAD_CHARACTERS } from '../src/stored-body-size.ts';
import { call, flaky } from './recorder-fixtures.ts';

const NO_TIMER = { flushIntervalMs: 3_600_000 };

/** A chat request whose one message holds `characters` characters. */
const request = (characters: number, fill = 'x') => ({ type: 'chat', version: 1, model: 'm', messages: [{ role: 'user', content: fill.repeat(characters) }] });

describe.each(databaseTargets)('SpanRecorder with large bodies, on $kind', (target: DatabaseTarget) => {
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

  it('stores a request, result or raw exchange past maxBodyBytes as its size, hash and head, and the rest whole', async () => {
    const spanRecorder = recorder(database.db, { maxBodyBytes: 50_000 });
    const rows = call();
    // Two-byte characters: the size is the JSON text's in UTF-8 bytes.
    const large = request(60_000, 'é');
    const json = JSON.stringify(large);
    const small = request(40_000);
    spanRecorder.record({ spans: [{ ...rows.spans[0]!, request: large, result: small, raw: { body: 'y'.repeat(50_001) } }] });
    await spanRecorder.flush();

    const stored = await getSpan(database.db, rows.spans[0]!.id);
    expect(stored?.request).toEqual({
      truncated: true,
      bytes: Buffer.byteLength(json, 'utf8'),
      sha256: createHash('sha256').update(json, 'utf8').digest('hex'),
      head: json.slice(0, TRUNCATED_HEAD_CHARACTERS),
    });
    expect(stored?.result).toEqual(small);
    expect(stored?.raw).toMatchObject({ truncated: true, head: expect.stringMatching(/^\{"body":"y+$/) });
    expect(spanRecorder.getStats()).toMatchObject({ written: 1, truncated: 2 });
  });

  it('holds a large body whole until it is written, and truncates it at once when the buffer cannot hold it whole', async () => {
    const spanRecorder = recorder(database.db, { maxBodyBytes: 50_000, maxBufferedBytes: 300_000, maxBatchBytes: 1_000_000 });
    const held = call();
    const body = request(200_000);
    spanRecorder.record({ spans: [{ ...held.spans[0]!, request: body }] });
    // Off the call's path: nothing is hashed yet, and the buffer counts the body at its size.
    expect(spanRecorder.getStats()).toMatchObject({ truncated: 0, buffered: 1 });
    expect(spanRecorder.getStats().bufferedBytes).toBeGreaterThan(200_000);
    // No room left to hold a second one whole: it is truncated as it is recorded.
    const atOnce = call();
    spanRecorder.record({ spans: [{ ...atOnce.spans[0]!, request: request(200_000, 'y') }] });
    expect(spanRecorder.getStats()).toMatchObject({ truncated: 1, buffered: 2 });
    expect(spanRecorder.getStats().bufferedBytes).toBeLessThan(300_000);

    await spanRecorder.flush();
    const json = JSON.stringify(body);
    expect((await getSpan(database.db, held.spans[0]!.id))?.request).toEqual({
      truncated: true,
      bytes: json.length,
      sha256: createHash('sha256').update(json).digest('hex'),
      head: json.slice(0, TRUNCATED_HEAD_CHARACTERS),
    });
    expect((await getSpan(database.db, atOnce.spans[0]!.id))?.request).toMatchObject({ truncated: true, head: expect.stringMatching(/"y+$/) });
    expect(spanRecorder.getStats()).toMatchObject({ written: 2, truncated: 2, buffered: 0, bufferedBytes: 0 });
  });

  it('never ends a head in half a surrogate pair', async () => {
    const spanRecorder = recorder(database.db, { maxBodyBytes: 20_000 });
    const rows = call();
    // '{"pq":"' is 7 characters: the pairs start at odd offsets, so the cut would fall inside one.
    spanRecorder.record({ spans: [{ ...rows.spans[0]!, request: { pq: '😀'.repeat(20_000) } }] });
    await spanRecorder.flush();
    const head = ((await getSpan(database.db, rows.spans[0]!.id))?.request as { head: string }).head;
    expect(head).toHaveLength(TRUNCATED_HEAD_CHARACTERS - 1);
    expect(head.endsWith('😀')).toBe(true);
  });

  it('writes a flush in statements of at most maxBatchBytes of spans', async () => {
    const control = flaky(database.db);
    const spanRecorder = recorder(control.db, { maxBatchBytes: 20_000 });
    for (let index = 0; index < 10; index++) {
      const rows = call();
      spanRecorder.record({ spans: [{ ...rows.spans[0]!, request: request(5_000) }] });
    }
    await spanRecorder.flush();

    const [stored] = await database.db.select({ value: count() }).from(spans);
    expect(stored?.value).toBe(10);
    const statements = control.statements.filter((statement) => statement.sql.startsWith('insert into spans'));
    // Each span is about 5.5 KB estimated: three fit in 20 000.
    expect(statements).toHaveLength(4);
    for (const statement of statements) expect(statement.parameterLength).toBeLessThanOrEqual(20_000);
  });

  it('writes at once when the buffer holds maxBatchBytes, without waiting for the timer', async () => {
    const spanRecorder = recorder(database.db, { maxBatchBytes: 20_000 });
    for (let index = 0; index < 4; index++) {
      const rows = call();
      spanRecorder.record({ spans: [{ ...rows.spans[0]!, request: request(6_000) }] });
    }
    await vi.waitFor(async () => expect((await database.db.select({ value: count() }).from(spans))[0]?.value).toBeGreaterThanOrEqual(3), { timeout: 5000, interval: 20 });
  });

  it('drops spans past maxBufferedBytes while the database is down, and counts them', async () => {
    const control = flaky(database.db);
    const onError = vi.fn();
    const spanRecorder = recorder(control.db, { maxBufferedBytes: 30_000, onError });
    control.down = true;
    for (let index = 0; index < 10; index++) {
      const rows = call();
      spanRecorder.record({ spans: [{ ...rows.spans[0]!, request: request(5_000) }] });
      await spanRecorder.flush();
    }
    const stats = spanRecorder.getStats();
    expect(stats.bufferedBytes).toBeLessThanOrEqual(30_000);
    expect(stats.buffered).toBe(5);
    expect(stats.dropped).toBe(5);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: expect.stringMatching(/^span buffer full/) }), { dropped: expect.any(Number), buffered: expect.any(Number) });

    control.down = false;
    await spanRecorder.flush();
    expect((await database.db.select({ value: count() }).from(spans))[0]?.value).toBe(5);
    expect(spanRecorder.getStats()).toMatchObject({ buffered: 0, bufferedBytes: 0 });
  });

  it('shortens a tool output past maxBodyBytes to its head, size and hash', async () => {
    const spanRecorder = recorder(database.db, { maxBodyBytes: 30_000 });
    const rows = call();
    const runId = rows.spans[0]!.runId;
    const id = toolSpanId(runId, 'call_1');
    await insertSpans(database.db, [{ id, runId, kind: 'tool', status: 'ok', startedAt: new Date() }]);
    const output = 'z'.repeat(40_000);
    spanRecorder.closeToolSpans([{ id, endedAt: new Date(), output }]);
    await spanRecorder.flush();

    const [stored] = await database.db.select({ result: spans.result }).from(spans).where(eq(spans.id, id));
    const sha256 = createHash('sha256').update(output).digest('hex');
    expect(stored?.result).toEqual({ output: `${'z'.repeat(TRUNCATED_HEAD_CHARACTERS)}… [truncated: 40000 bytes, sha256 ${sha256}]` });
    expect(spanRecorder.getStats()).toMatchObject({ truncated: 1 });
  });
});
