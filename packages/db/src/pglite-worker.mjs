// Runs embedded PGlite (Postgres in WASM) on its own thread and serves it over the Postgres wire
// protocol on a unix socket, so the gateway's event loop never executes a query itself.
// Plain JavaScript on purpose: a worker must load without the TypeScript loader, in any runner.
import { mkdir } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketHandler, PGLiteSocketServer } from '@electric-sql/pglite-socket';

const { dataDir, socketPath, sharedBuffersMb } = workerData;

/** Protocol 3.0, as a startup message names it (it has no type byte). */
const STARTUP_PROTOCOL = 196608;
/** Terminate ('X'): PGlite answers it only when it comes first in what it is given. */
const TERMINATE = 0x58;

/**
 * pglite-socket runs each protocol message of a statement (parse, bind, describe, execute, sync)
 * through its query queue on its own: a promise, the database's mutex and a pass into PGlite per
 * message. PGlite's `execProtocolRaw` runs every message it is given, so the complete messages of
 * one read go in together, one pass per statement. SSL and cancel requests, startup messages and
 * Terminate are still handled alone, as the library handles them. A message longer than a read
 * (a batch of span rows is up to 256 KiB, a read 64 KiB) is joined once, when its last read
 * arrives. The library joined every read to all the bytes before it, so a statement of n reads
 * was copied about n²/2 reads' worth, into fresh memory each time (66-75 ms of CPU for 4 MiB).
 */
PGLiteSocketHandler.prototype.handleData = async function handleData(data) {
  if (!this.socket || !this.active) return 0;
  const parts = (this.parts ??= []);
  parts.push(data);
  this.partBytes = (this.partBytes ?? 0) + data.length;
  if (this.partBytes < (this.wanted ?? 0)) return 0;
  this.messageBuffer = parts.length === 1 && this.messageBuffer.length === 0 ? data : Buffer.concat(this.messageBuffer.length === 0 ? parts : [this.messageBuffer, ...parts]);
  parts.length = 0;
  this.partBytes = 0;
  this.wanted = 0;
  let sent = 0;
  while (this.messageBuffer.length > 0) {
    if (this.handleSslRequest() || this.handleCancelRequest()) continue;
    const buffer = this.messageBuffer;
    let end = 0;
    if (buffer.length >= 8 && buffer.readInt32BE(4) === STARTUP_PROTOCOL) {
      if (buffer.length >= buffer.readInt32BE(0)) end = buffer.readInt32BE(0);
    } else {
      while (end + 5 <= buffer.length && !(end > 0 && buffer[end] === TERMINATE)) {
        const next = end + 1 + buffer.readInt32BE(end + 1);
        if (next > buffer.length) break;
        end = next;
        if (buffer[0] === TERMINATE) break;
      }
    }
    if (end === 0) {
      // Wait for the rest of the first incomplete message before joining reads again. Only a
      // typed message (its first byte a letter) says its length there; startup, SSL and cancel
      // requests begin with their own short length, whose first byte is 0, and are joined as before.
      if (buffer.length >= 5 && buffer[0] !== 0) this.wanted = 1 + buffer.readInt32BE(1) - buffer.length;
      break;
    }
    const messages = buffer.subarray(0, end);
    this.messageBuffer = buffer.subarray(end);
    let failure;
    await this.queryQueue.enqueue(this.id, messages, (answer) => {
      if (answer.length === 0 || !this.socket?.writable || !this.active) return;
      this.socket.write(Buffer.from(answer), (error) => {
        if (error) failure = error;
      });
      sent += answer.length;
    });
    if (failure) throw failure;
  }
  return sent;
};

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
  // max_wal_size: the most WAL a checkpoint keeps as recycled segments (with the default, 1 GB, a
  // checkpoint after a long stretch kept all 22 segments); the gateway checkpoints every 64 MiB of
  // WAL (pglite-checkpoints.ts).
  const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffersMb}MB`, '-c', 'max_wal_size=128MB'];
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
