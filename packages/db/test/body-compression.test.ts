import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSpan, insertResponses, insertSpans, migrate, newId, type Database } from '../src/index.ts';
import { databaseTargets, type DatabaseTarget } from './test-databases.ts';

/** An agent's turn as bodies look: a conversation of tool calls and the files they read (~60 KB, compressible). */
function conversation(): Record<string, unknown> {
  const file = Array.from({ length: 120 }, (_, line) => `export const value${line} = compute(${line}, 'step ${line % 7}');`).join('\n');
  const messages: unknown[] = [{ role: 'system', content: 'You are a coding agent.' }];
  for (let call = 0; call < 12; call++) {
    messages.push({ role: 'assistant', content: null, tool_calls: [{ id: `call_${call}`, type: 'function', function: { name: 'read_file', arguments: `{"path":"src/f${call}.ts"}` } }] });
    messages.push({ role: 'tool', tool_call_id: `call_${call}`, content: file });
  }
  return { model: 'gpt-4o', messages };
}

/** How each stored value of `column` in `table` where `where` holds is kept: its compression method (null: none) and stored size. */
async function storedForm(database: Database, table: string, column: string, where: string): Promise<{ method: string | null; stored: number; length: number }> {
  const result = await database.db.execute<{ method: string | null; stored: number; length: number }>(
    sql.raw(`select pg_column_compression(${column}) as method, pg_column_size(${column})::int as stored, length(${column}::text)::int as length from ${table} where ${where}`),
  );
  return result.rows[0]!;
}

/**
 * Bodies are written on or beside every call; pglz, Postgres's default, doubled the cost of
 * writing them (docs/decisions/0015). Where the server has lz4 they are compressed with it, and
 * elsewhere (PGlite) kept uncompressed — whole, either way.
 */
describe.each(databaseTargets)('body columns on $kind', (target: DatabaseTarget) => {
  let scratch: Awaited<ReturnType<DatabaseTarget['setUp']>>;
  let database: Database;
  let hasLz4: boolean;

  beforeAll(async () => {
    scratch = await target.setUp();
    database = await scratch.open();
    await migrate(database);
    const setting = await database.db.execute<{ found: boolean }>(
      sql`select exists (select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any (enumvals)) as found`,
    );
    hasLz4 = setting.rows[0]!.found;
  });
  afterAll(async () => {
    await scratch.tearDown();
  });

  it('stores a span body and a stored response with lz4 where the server has it, uncompressed otherwise, and reads them back whole', async () => {
    const body = conversation();
    const spanId = newId();
    await insertSpans(database.db, [{ id: spanId, runId: `run_${newId()}`, kind: 'llm', status: 'ok', startedAt: new Date(), request: body, result: body }]);
    const responseId = `resp_${newId()}`;
    await insertResponses(database.db, [
      {
        id: responseId,
        owner: { apiKeyId: null, teamId: null },
        runId: `run_${newId()}`,
        previousResponseId: null,
        stored: true,
        response: body,
        inputItems: [{ id: `msg_${newId()}`, ...body }],
        outputItems: [],
        createdAt: new Date(),
      },
    ]);

    const forms = [
      await storedForm(database, 'spans', 'request', `id = '${spanId}'`),
      await storedForm(database, 'spans', 'result', `id = '${spanId}'`),
      await storedForm(database, 'responses', 'response', `id = '${responseId}'`),
      await storedForm(database, 'response_items', 'item', `response_id = '${responseId}'`),
    ];
    for (const form of forms) {
      expect(form.length).toBeGreaterThan(50_000);
      if (hasLz4) {
        expect(form.method).toBe('lz4');
        expect(form.stored).toBeLessThan(form.length / 3);
      } else {
        expect(form.method).toBeNull();
        expect(form.stored).toBeGreaterThan(form.length * 0.9);
      }
    }
    expect((await getSpan(database.db, spanId))?.request).toEqual(body);
  });
});
