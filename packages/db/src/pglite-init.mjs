// Initializes a new PGlite data folder (initdb) in a process of its own: `node pglite-init.mjs <dir>`.
// initdb's WASM memory (about 500 MB) is returned to the system only when its process ends; run in
// the gateway's worker thread, most of it stayed resident for the gateway's whole life.
// Plain JavaScript on purpose, like pglite-worker.mjs.
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';

const dataDir = process.argv[2];
await mkdir(dataDir, { recursive: true });
const db = await PGlite.create({ dataDir, extensions: { vector } });
await db.close();
