import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/index.ts';
import { DATA_DIR_LOCK_FILE, DataDirInUseError, lockDataDir } from '../src/data-dir-lock.ts';

const directories: string[] = [];
function emptyDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'gantry-lock-'));
  directories.push(directory);
  return directory;
}

/** The error createDatabase rejects with (fails the test when it opens instead). */
async function refusal(dataDir: string): Promise<DataDirInUseError> {
  const opened = await createDatabase({ dataDir }).then(
    async (database: Database) => {
      await database.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(opened).toBeInstanceOf(DataDirInUseError);
  return opened as DataDirInUseError;
}

function writeLock(dataDir: string, owner: { pid: number; hostname: string }): void {
  writeFileSync(join(dataDir, DATA_DIR_LOCK_FILE), `${JSON.stringify({ ...owner, startedAt: '2026-01-01T00:00:00.000Z' })}\n`);
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('a PGlite data folder', () => {
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('refuses a second opening while the first is open, naming the folder and the pid holding it', async () => {
    const dataDir = emptyDirectory();
    const first = await createDatabase({ dataDir });
    try {
      const error = await refusal(dataDir);
      expect(error.message).toContain(dataDir);
      expect(error.message).toContain(`pid ${process.pid}`);
      expect(error.message).toContain('DATABASE_URL');
      await first.ping();
    } finally {
      await first.close();
    }
  });

  it('opens again once closed, with what was written before', async () => {
    const dataDir = emptyDirectory();
    const first = await createDatabase({ dataDir });
    await first.db.execute(sql`create table notes (body text)`);
    await first.db.execute(sql`insert into notes values ('kept')`);
    await first.close();
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);

    const second = await createDatabase({ dataDir });
    try {
      const result = await second.db.execute(sql`select body from notes`);
      expect(result.rows).toEqual([{ body: 'kept' }]);
    } finally {
      await second.close();
    }
  });

  // The lock alone from here on: starting PGlite on disk takes seconds, and the tests above cover that createDatabase takes it.
  it('takes over a lock whose process is gone', async () => {
    const dataDir = emptyDirectory();
    writeLock(dataDir, { pid: await deadPid(), hostname: hostname() });
    const release = await lockDataDir(dataDir);
    expect(JSON.parse(readFileSync(join(dataDir, DATA_DIR_LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, hostname: hostname() });
    release();
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
  });

  it('takes over a lock naming this pid that this process does not hold (a restarted container)', async () => {
    const dataDir = emptyDirectory();
    writeLock(dataDir, { pid: process.pid, hostname: hostname() });
    const release = await lockDataDir(dataDir);
    // Held now: the same process is refused a second time.
    await expect(lockDataDir(dataDir)).rejects.toBeInstanceOf(DataDirInUseError);
    release();
  });

  it('takes over a garbled lock, which no Gantry holding the folder can have written', async () => {
    const dataDir = emptyDirectory();
    writeFileSync(join(dataDir, DATA_DIR_LOCK_FILE), '');
    (await lockDataDir(dataDir))();
  });

  it('refuses while another live process holds the lock', async () => {
    const dataDir = emptyDirectory();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      writeLock(dataDir, { pid: holder.pid!, hostname: hostname() });
      expect((await refusal(dataDir)).message).toContain(`pid ${holder.pid}`);
    } finally {
      holder.kill();
    }
  });

  it('refuses a lock from another host, whose process cannot be checked from here', async () => {
    const dataDir = emptyDirectory();
    writeLock(dataDir, { pid: 1, hostname: `not-${hostname()}` });
    const error = await refusal(dataDir);
    expect(error.message).toContain(`on host not-${hostname()}`);
    expect(error.message).toContain(join(dataDir, DATA_DIR_LOCK_FILE));
  });
});
