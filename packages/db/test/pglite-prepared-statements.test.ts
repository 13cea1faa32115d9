import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparingClientFor } from '../src/pglite-prepared-statements.ts';

// PGlite parses and plans every unnamed statement anew; the gateway's connection prepares the
// statements it sends again. Every socket connection shares PGlite's one session.
describe('the embedded database’s prepared statements', () => {
  let db: PGlite;
  let server: PGLiteSocketServer;
  let socketDir: string;
  // One class per database, as createDatabase() makes it: its names are that session's.
  const Client = preparingClientFor();
  beforeAll(async () => {
    socketDir = await mkdtemp(join(tmpdir(), 'gantry-prepared-'));
    db = await PGlite.create();
    server = new PGLiteSocketServer({ db, path: join(socketDir, '.s.PGSQL.5432'), maxConnections: 4 });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await db.close();
    await rm(socketDir, { recursive: true, force: true });
  });

  const connect = async () => {
    const client = new Client({ host: socketDir, port: 5432, user: 'postgres', database: 'postgres' });
    await client.connect();
    return client;
  };
  const prepared = async (client: pg.Client) => (await client.query<{ statement: string }>('select statement from pg_prepared_statements order by statement')).rows.map((row) => row.statement);

  it('prepares a statement with parameters from its second sight, and only those', async () => {
    const client = await connect();
    try {
      const once = 'select $1::int + 1 as once';
      const twice = 'select $1::int + 2 as twice';
      expect((await client.query(once, [1])).rows).toEqual([{ once: 2 }]);
      expect((await client.query({ text: twice, values: [1] })).rows).toEqual([{ twice: 3 }]);
      expect(await prepared(client)).toEqual([]);
      expect((await client.query({ text: twice, values: [2] })).rows).toEqual([{ twice: 4 }]);
      expect((await client.query(twice, [3])).rows).toEqual([{ twice: 5 }]);
      expect(await prepared(client)).toEqual([twice]);
    } finally {
      await client.end();
    }
  });

  it('uses what an earlier connection prepared in the one session, instead of failing to prepare it again', async () => {
    const text = 'select $1::text as shared';
    const first = await connect();
    await first.query(text, ['a']);
    await first.query(text, ['b']);
    await first.end();
    // pg.Pool replaces an idle client after 10 s: the next one finds the statement prepared.
    const second = await connect();
    try {
      expect((await second.query(text, ['c'])).rows).toEqual([{ shared: 'c' }]);
      expect(await prepared(second)).toContain(text);
    } finally {
      await second.end();
    }
  });
});
