import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createDatabase, type Database } from '../src/index.ts';

/** Where a test file's databases live: in-memory PGlite always, plus Postgres when DATABASE_URL is set. */
export interface DatabaseTarget {
  kind: Database['kind'];
  /**
   * Prepares an empty database for one test file. `open()` connects to it; on PGlite every call is a
   * new in-memory instance (two PGlite instances cannot share one database).
   */
  setUp(): Promise<{ open(): Promise<Database>; tearDown(): Promise<void> }>;
}

const pgliteTarget: DatabaseTarget = {
  kind: 'pglite',
  async setUp() {
    const opened: Database[] = [];
    return {
      async open() {
        const database = await createDatabase({});
        opened.push(database);
        return database;
      },
      async tearDown() {
        await Promise.all(opened.map((database) => database.close()));
      },
    };
  },
};

function postgresTarget(adminUrl: string): DatabaseTarget {
  const parsed = new URL(adminUrl);
  if (parsed.hostname !== '127.0.0.1' && parsed.hostname !== 'localhost') {
    throw new Error(`DATABASE_URL must point at 127.0.0.1 for tests, got ${parsed.hostname}`);
  }
  return {
    kind: 'postgres',
    async setUp() {
      // A scratch database per test file: migrations start from nothing and files never see each
      // other's rows. The DATABASE_URL role needs CREATEDB.
      const name = `gantry_test_${randomUUID().replaceAll('-', '')}`;
      await runAdminStatement(adminUrl, `create database "${name}"`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const opened: Database[] = [];
      return {
        async open() {
          const database = await createDatabase({ url: url.toString() });
          opened.push(database);
          return database;
        },
        async tearDown() {
          await Promise.all(opened.map((database) => database.close()));
          await runAdminStatement(adminUrl, `drop database if exists "${name}" with (force)`);
        },
      };
    },
  };
}

async function runAdminStatement(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

const databaseUrl = process.env['DATABASE_URL'];

export const databaseTargets: DatabaseTarget[] =
  databaseUrl === undefined || databaseUrl === ''
    ? [pgliteTarget]
    : [pgliteTarget, postgresTarget(databaseUrl)];
