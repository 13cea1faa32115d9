// Work on a PGlite data folder that needs a process of its own. PGlite's WASM memory (about 500 MB
// for initdb) is returned to the system only when its process ends; run in the gateway's worker
// thread, most of it stayed resident for the gateway's whole life. Plain JavaScript on purpose,
// like pglite-worker.mjs.
//   node pglite-init.mjs <dir>                     initializes a new folder (initdb)
//   node pglite-init.mjs <dir> --freeze-templates  freezes template0 and template1 (pglite-vacuum.ts):
//     a single-user session vacuums only its own database, so not the gateway's while it runs
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';

const dataDir = process.argv[2];
if (process.argv[3] === '--freeze-templates') {
  for (const database of ['template1', 'template0']) {
    const db = await PGlite.create({ dataDir, database });
    await db.exec('vacuum (freeze)');
    await db.close();
  }
} else {
  await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir, extensions: { vector } });
  await db.close();
}
