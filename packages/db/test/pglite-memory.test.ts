import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, DEFAULT_PGLITE_SHARED_BUFFERS_MB } from '../src/index.ts';

const directories: string[] = [];
function emptyDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'gantry-pglite-memory-'));
  directories.push(directory);
  return directory;
}

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** A new folder is initialized in a child process (initdb), which a loaded machine may take a while over. */
describe('embedded PGlite memory', () => {
  it(`runs with shared_buffers of ${DEFAULT_PGLITE_SHARED_BUFFERS_MB} MB unless told otherwise, and with what it is told`, { timeout: 90_000 }, async () => {
    const defaults = await createDatabase();
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
});
