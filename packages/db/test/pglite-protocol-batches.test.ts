import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/index.ts';

// The PGlite worker hands PGlite every complete protocol message of a read at once (one pass per
// statement) and answers each statement in one write (pglite-worker.mjs). A statement that fails
// part-way through its messages must still fail alone, and the connection must stay usable.
describe('the embedded database’s protocol batches', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createDatabase({});
  });
  afterAll(async () => {
    await database.close();
  });

  it('answers concurrent parameterized statements each with its own result', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, index) => database.db.execute<{ n: number; t: string }>(sql`select ${index}::int as n, repeat('x', ${index * 100}) as t`)));
    results.forEach((result, index) => expect(result.rows[0]).toEqual({ n: index, t: 'x'.repeat(index * 100) }));
  });

  it('joins statements longer than a read exactly, while short ones from other connections come between', async () => {
    // Megabytes of multi-byte text, different per statement: each arrives in many reads of the socket.
    const texts = Array.from({ length: 3 }, (_, index) => `${index}é€😀`.repeat(150_000 + index * 7_001));
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    const [long, short] = await Promise.all([
      Promise.all(texts.map((text) => database.db.execute<{ length: number; md5: string }>(sql`select length(${text}::text)::int as length, md5(${text}::text) as md5`))),
      Promise.all(Array.from({ length: 30 }, (_, index) => database.db.execute<{ n: number }>(sql`select ${index}::int as n`))),
    ]);
    long.forEach((result, index) => expect(result.rows[0]).toEqual({ length: [...texts[index]!].length, md5: md5(texts[index]!) }));
    short.forEach((result, index) => expect(result.rows[0]).toEqual({ n: index }));
  });

  it('fails a statement that errors between its messages, and keeps the connections usable', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, index) => database.db.execute(index % 3 === 0 ? sql`select 1 / ${0}::int as n` : sql`select ${index}::int as n`)));
    outcomes.forEach((outcome, index) => {
      if (index % 3 === 0) expect(outcome).toMatchObject({ status: 'rejected', reason: { cause: { message: 'division by zero' } } });
      else expect(outcome).toMatchObject({ status: 'fulfilled', value: { rows: [{ n: index }] } });
    });
    expect((await database.db.execute<{ n: number }>(sql`select ${7}::int as n`)).rows).toEqual([{ n: 7 }]);
  });

  it('keeps a transaction’s statements together while other connections query', async () => {
    await database.db.execute(sql`create table if not exists batch_probe (n int)`);
    const [inTransaction] = await Promise.all([
      database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into batch_probe values (${1})`);
        await tx.execute(sql`insert into batch_probe values (${2})`);
        return (await tx.execute<{ count: number }>(sql`select count(*)::int as count from batch_probe`)).rows[0]!.count;
      }),
      ...Array.from({ length: 10 }, () => database.db.execute(sql`select 1`)),
    ]);
    expect(inTransaction).toBe(2);
  });
});
