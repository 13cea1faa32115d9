import { randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, realpath, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The lock file an open PGlite data folder holds: `{"pid", "hostname", "startedAt"}` of the process using it. */
export const DATA_DIR_LOCK_FILE = 'gantry.lock';

/** Who holds a data folder. */
export interface DataDirOwner {
  pid: number;
  hostname: string;
  /** ISO 8601. */
  startedAt: string;
}

/**
 * The PGlite data folder is open in another process. PGlite has no lock of its own: two processes
 * on one folder both start, and each overwrites what the other wrote.
 */
export class DataDirInUseError extends Error {
  readonly dataDir: string;
  readonly owner: DataDirOwner;

  constructor(dataDir: string, owner: DataDirOwner) {
    const elsewhere = owner.hostname === hostname() ? '' : ` on host ${owner.hostname}`;
    super(
      `the data folder ${dataDir} is in use by another Gantry (pid ${owner.pid}${elsewhere}, since ${owner.startedAt}); ` +
        "two on one folder would lose each other's writes. Stop that one, give this one its own folder (GANTRY_DATA_DIR or database.data_dir), " +
        `or point every instance at one Postgres (DATABASE_URL). If no Gantry is running there, delete ${join(dataDir, DATA_DIR_LOCK_FILE)}`,
    );
    this.name = 'DataDirInUseError';
    this.dataDir = dataDir;
    this.owner = owner;
  }
}

/** Lock files this process holds, by real path: a lock naming this pid is ours only if it is here. */
const heldHere = new Set<string>();

/**
 * Takes the data folder's lock, creating the folder when missing; resolves with its release.
 * Rejects with `DataDirInUseError` while a live process holds it. A lock whose process is gone
 * (a crash, a kill) is taken over: on this host when no process has its pid, or has it but is this
 * one without holding the lock (a container restarts its process under the same pid, often 1).
 * A lock from another host is never taken over, since its process cannot be checked from here.
 */
export async function lockDataDir(dataDir: string): Promise<() => void> {
  await mkdir(dataDir, { recursive: true });
  const path = join(await realpath(dataDir), DATA_DIR_LOCK_FILE);
  const me: DataDirOwner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  const content = `${JSON.stringify(me)}\n`;
  // Written in full under a name of its own, then linked into place: linking fails if a lock exists,
  // atomically, and a lock never appears half-written to another process reading it.
  const draft = `${path}.${process.pid}.${randomUUID()}`;
  await writeFile(draft, content);
  try {
    // A few rounds: each stale lock removed may be replaced by a live one from a racing start.
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(draft, path);
        return holdLock(path, content);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = await readOwner(path);
      if (owner === 'gone') continue;
      if (owner !== 'unreadable' && isAlive(owner, path)) throw new DataDirInUseError(dataDir, owner);
      await unlink(path).catch(ignoreMissing);
    }
    throw new Error(`could not take the lock ${path}: it kept reappearing; another Gantry is starting on ${dataDir}`);
  } finally {
    await unlink(draft).catch(ignoreMissing);
  }
}

function holdLock(path: string, content: string): () => void {
  heldHere.add(path);
  // Removed even when the process ends without closing the database (an uncaught error, process.exit).
  const release = () => {
    process.off('exit', release);
    if (!heldHere.delete(path)) return;
    try {
      // Only our own lock: had it been taken over, the file would now be someone else's.
      if (readFileSync(path, 'utf8') === content) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
  process.on('exit', release);
  return release;
}

async function readOwner(path: string): Promise<DataDirOwner | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const owner = JSON.parse(text) as Partial<DataDirOwner>;
    if (typeof owner.pid === 'number' && typeof owner.hostname === 'string') return { pid: owner.pid, hostname: owner.hostname, startedAt: String(owner.startedAt) };
  } catch {
    // Garbled: not written by a Gantry that holds it (locks appear whole), so not held.
  }
  return 'unreadable';
}

function isAlive(owner: DataDirOwner, path: string): boolean {
  if (owner.hostname !== hostname()) return true;
  if (owner.pid === process.pid) return heldHere.has(path);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
