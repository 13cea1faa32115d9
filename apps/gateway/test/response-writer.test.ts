import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, migrate, type Database, type StoredResponseInput } from '@gantry/db';
import { ResponseWriter } from '../src/responses/response-writer.ts';

function response(id: string): StoredResponseInput {
  return {
    id,
    owner: { apiKeyId: null, teamId: null },
    runId: `run-${id}`,
    previousResponseId: null,
    stored: true,
    response: { id, object: 'response', output: [] },
    inputItems: [{ id: `msg_in_${id}`, type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
    outputItems: [{ id: `msg_out_${id}`, type: 'message', role: 'assistant', content: [] }],
    createdAt: new Date(),
  };
}

describe('ResponseWriter', () => {
  let database: Database;
  let statements = 0;
  beforeAll(async () => {
    database = await createDatabase({});
    await migrate(database);
    const execute = database.db.execute.bind(database.db);
    database.db.execute = ((query: Parameters<typeof execute>[0]) => {
      statements += 1;
      return execute(query);
    }) as typeof database.db.execute;
  });
  afterAll(async () => {
    await database?.close();
  });

  const count = async (ids: string[]) =>
    Number((await database.db.execute<{ n: string }>(sql`select count(*) as n from responses where id = any(${sql.param(ids)}::text[])`)).rows[0]!.n);

  it('writes the responses that finish while one write is in flight together, each promise settled once its row is committed', async () => {
    const writer = new ResponseWriter(database.db);
    const ids = Array.from({ length: 20 }, (_, index) => `resp_batch_${index}`);
    statements = 0;
    await Promise.all(ids.map((id) => writer.write(response(id))));
    expect(statements).toBeLessThanOrEqual(2);
    statements = 0;
    expect(await count(ids)).toBe(20);
  });

  it('fails only the call whose row cannot be written', async () => {
    const writer = new ResponseWriter(database.db);
    await writer.write(response('resp_taken'));
    const ids = ['resp_ok_1', 'resp_taken', 'resp_ok_2', 'resp_ok_3'];
    const outcomes = await Promise.allSettled(ids.map((id) => writer.write(response(id))));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await count(['resp_ok_1', 'resp_ok_2', 'resp_ok_3'])).toBe(3);
  });
});
