// Runs embedded PGlite (Postgres in WASM) on its own thread and serves it over the Postgres wire
// protocol on a unix socket, so the gateway's event loop never executes a query itself.
// Plain JavaScript on purpose: a worker must load without the TypeScript loader, in any runner.
import { mkdir } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const { dataDir, socketPath, sharedBuffersMb } = workerData;

/**
 * The socket server answers each protocol message of a query (parse, bind, describe, execute,
 * sync) with a write of its own: five or more syscalls per statement here, and as many wake-ups
 * and reads on the gateway's thread. Writes made while one batch of messages is processed go out
 * together: the socket is corked at the first and uncorked once the event loop turns (the messages
 * of one read are run back to back, without waiting on I/O), so a statement's answer is one write.
 */
function coalesceWrites(socket) {
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (...args) {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return write.apply(socket, args);
  };
}
try {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  // A data dir that ever used vector must always be opened with the extension: always load it.
  // shared_buffers: PGlite's default (128 MB) is most of its memory; see create-database.ts.
  const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffersMb}MB`];
  const db = await PGlite.create({ ...(dataDir ? { dataDir } : {}), extensions: { vector }, startParams });
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 4 });
  await server.start();
  server.server.prependListener('connection', coalesceWrites);
  parentPort.on('message', async (message) => {
    if (message !== 'close') return;
    await server.stop();
    await db.close();
    parentPort.postMessage({ type: 'closed' });
  });
  parentPort.postMessage({ type: 'ready' });
} catch (error) {
  parentPort.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}
