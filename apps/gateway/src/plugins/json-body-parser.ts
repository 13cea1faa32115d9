import { errorCodes, type FastifyInstance } from 'fastify';
import Tinypool from 'tinypool';
import { UnavailableError } from '@gantry/spec';
import { bodyTooDeep, tooDeepError } from './json-depth.ts';

/** Bodies of at least this many bytes are parsed on a worker thread; smaller ones cost less than the hand-off. */
export const OFF_THREAD_BODY_BYTES = 256 * 1024;
/** A parse worker with nothing to do exits after this long (its memory goes with it). */
const WORKER_IDLE_MS = 30_000;

type WorkerAnswer = { value: unknown } | { tooDeep: (string | number)[] } | { invalid: true };

/**
 * The `application/json` body parser. Bodies are checked for nesting depth before JSON.parse sees
 * them: V8 parses deep nesting at about 2 µs a level, so one body of brackets at the body limit
 * would hold the event loop for seconds. Prototype poisoning is refused, as fastify does by default.
 * Large bodies (a 10 MB prompt: 60 ms of decoding and parsing) are parsed on a worker thread, so
 * one tenant's large request does not stall every other tenant's calls; the parsed value comes
 * back by structured clone, which for the usual shape (one large string) is a copy.
 *
 * The body is read here rather than by fastify (`parseAs`), which joins it into one buffer first:
 * for 10 MB that was 24–40 ms of the event loop, nearly all of it faulting in fresh pages. A large
 * body's chunks go to the worker as they were read (each its own memory, handed over, not copied)
 * and are joined there. The limits are fastify's: the route's body limit (a 413, at once when
 * `content-length` says so), and a `content-length` the body must match.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parseOnLoop = app.getDefaultJsonParser('error', 'error');
  let pool: Tinypool | undefined;
  const parseOffLoop = (chunks: Buffer[], done: (error: Error | null, body?: unknown) => void) => {
    // Plain JavaScript needs no loader: the process's own `--import tsx` is not the worker's business.
    pool ??= new Tinypool({ filename: new URL('./json-body-worker.mjs', import.meta.url).href, minThreads: 0, maxThreads: 1, idleTimeout: WORKER_IDLE_MS, execArgv: [] });
    // A chunk that is all of its memory is handed over; one sharing memory with other data (a
    // string a stream pushed, say) is copied.
    const own = chunks.map((chunk) => (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : Buffer.from(chunk)));
    pool.run(own, { transferList: own.map((chunk) => chunk.buffer as ArrayBuffer) }).then(
      (answer: WorkerAnswer) => {
        if ('value' in answer) done(null, answer.value);
        else if ('tooDeep' in answer) done(tooDeepError(answer.tooDeep), undefined);
        else done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
      },
      (error: unknown) => done(new UnavailableError('the request body could not be parsed because the gateway is shutting down or its parse worker failed; retry the request', { cause: error }), undefined),
    );
  };

  app.addContentTypeParser('application/json', (request, payload, done) => {
    const limit = request.routeOptions.bodyLimit;
    const declared = Number(request.headers['content-length']);
    if (declared > limit) {
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onEnd);
    };
    function onData(data: Buffer | string) {
      const chunk = typeof data === 'string' ? Buffer.from(data) : data;
      received += chunk.length;
      if (received > limit) {
        stop();
        done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), undefined);
        return;
      }
      chunks.push(chunk);
    }
    function onEnd(error?: Error & { statusCode?: number }) {
      stop();
      if (error != null) {
        if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
        done(error, undefined);
        return;
      }
      if (!Number.isNaN(declared) && received !== declared) {
        done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), undefined);
        return;
      }
      if (received >= OFF_THREAD_BODY_BYTES) {
        parseOffLoop(chunks, done);
        return;
      }
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString('utf8');
      const tooDeep = bodyTooDeep(text);
      if (tooDeep === undefined) parseOnLoop(request, text, done);
      else done(tooDeep, undefined);
    }
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onEnd);
    payload.resume();
  });
  app.addHook('onClose', async () => {
    await pool?.destroy();
  });
}
