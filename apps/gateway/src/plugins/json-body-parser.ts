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
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const parseOnLoop = app.getDefaultJsonParser('error', 'error');
  let pool: Tinypool | undefined;
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (bytes.length < OFF_THREAD_BODY_BYTES) {
      const text = bytes.toString('utf8');
      const tooDeep = bodyTooDeep(text);
      if (tooDeep === undefined) parseOnLoop(request, text, done);
      else done(tooDeep, undefined);
      return;
    }
    // Plain JavaScript needs no loader: the process's own `--import tsx` is not the worker's business.
    pool ??= new Tinypool({ filename: new URL('./json-body-worker.mjs', import.meta.url).href, minThreads: 0, maxThreads: 1, idleTimeout: WORKER_IDLE_MS, execArgv: [] });
    // fastify hands the parser a copy of the body in a buffer of its own: handed over, not copied again.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    pool.run(bytes, own ? { transferList: [bytes.buffer as ArrayBuffer] } : {}).then(
      (answer: WorkerAnswer) => {
        if ('value' in answer) done(null, answer.value);
        else if ('tooDeep' in answer) done(tooDeepError(answer.tooDeep), undefined);
        else done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
      },
      (error: unknown) => done(new UnavailableError('the request body could not be parsed because the gateway is shutting down or its parse worker failed; retry the request', { cause: error }), undefined),
    );
  });
  app.addHook('onClose', async () => {
    await pool?.destroy();
  });
}
