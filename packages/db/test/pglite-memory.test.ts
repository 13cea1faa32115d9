import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, DEFAULT_PGLITE_SHARED_BUFFERS_MB, migrate } from '../src/index.ts';

const directories: string[] = [];
function emptyDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'gantry-pglite-memory-'));
  directories.push(directory);
  return directory;
}

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

describe('embedded PGlite memory', () => {
  it(`runs with shared_buffers of ${DEFAULT_PGLITE_SHARED_BUFFERS_MB} MB unless told otherwise, and with what it is told`, async () => {
    const defaults = await createDatabase({ dataDir: emptyDirectory() });
    try {
      expect((await defaults.db.execute(sql`show shared_buffers`)).rows).toEqual([{ shared_buffers: `${DEFAULT_PGLITE_SHARED_BUFFERS_MB}MB` }]);
    } finally {
      await defaults.close();
    }
    const told = await createDatabase({ dataDir: emptyDirectory(), pgliteSharedBuffersMb: 48 });
    try {
      expect((await told.db.execute(sql`show shared_buffers`)).rows).toEqual([{ shared_buffers: '48MB' }]);
    } finally {
      await told.close();
    }
  });

  it('initializes a new folder in a worker of its own, then serves it and keeps what was written across restarts', async () => {
    const dataDir = emptyDirectory();
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);
    const first = await createDatabase({ dataDir });
    try {
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
      await migrate(first);
      await first.db.execute(sql`insert into teams (id, name) values ('team-kept', 'kept across restarts')`);
    } finally {
      await first.close();
    }
    const second = await createDatabase({ dataDir });
    try {
      expect((await second.db.execute(sql`select name from teams where id = 'team-kept'`)).rows).toEqual([{ name: 'kept across restarts' }]);
    } finally {
      await second.close();
    }
  });
});
