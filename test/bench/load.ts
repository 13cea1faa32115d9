import { Pool } from 'undici';

export interface LoadResult {
  /** Milliseconds per request: whole response (non-stream) or time to first body byte (stream). */
  latencies: number[];
  /** The same latencies split by the header set each request was sent with, in the order given. */
  latenciesByHeaders: number[][];
  requestsPerSecond: number;
  errors: number;
  elapsedMs: number;
  /** CPU the serving process used for the load, in ms (set by the bench, not by runLoad). */
  cpuMs?: number;
}

/**
 * A closed-loop load: `concurrency` workers each send the next request as soon as the previous one
 * finished, until `durationMs` has passed. Bounded in time; talks only to the given loopback URL.
 *
 * Given several header sets, every worker takes them in turn (worker w's n-th request uses set
 * (w + n) mod count), so at every moment each set has the same share of the connections: the sets'
 * latencies then differ only by what their own requests cost, not by the machine's state or by the
 * queue, which they share.
 */
export async function runLoad(options: {
  url: string;
  path: string;
  headers: Record<string, string> | readonly Record<string, string>[];
  /**
   * The request body, or a function of the request's number in the load (unique) and of the header
   * set it is sent with: a body that must differ per request, or differ by set.
   */
  body: string | ((request: number, set: number) => string);
  concurrency: number;
  durationMs: number;
  stream: boolean;
}): Promise<LoadResult> {
  const pool = new Pool(options.url, { connections: options.concurrency, keepAliveTimeout: 30_000, pipelining: 1 });
  const headerSets = Array.isArray(options.headers) ? (options.headers as readonly Record<string, string>[]) : [options.headers as Record<string, string>];
  const latenciesByHeaders = headerSets.map((): number[] => []);
  const bodyOf = typeof options.body === 'string' ? () => options.body as string : options.body;
  let requests = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;

  async function worker(index: number): Promise<void> {
    for (let sent = index; performance.now() < deadline; sent++) {
      const set = sent % headerSets.length;
      const begin = performance.now();
      try {
        const response = await pool.request({ method: 'POST', path: options.path, headers: headerSets[set]!, body: bodyOf(requests++, set) });
        let firstByte: number | undefined;
        for await (const chunk of response.body) {
          if (firstByte === undefined && (chunk as Buffer).length > 0) firstByte = performance.now();
        }
        if (response.statusCode !== 200) {
          errors++;
          continue;
        }
        latenciesByHeaders[set]!.push((options.stream ? (firstByte ?? performance.now()) : performance.now()) - begin);
      } catch {
        errors++;
      }
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));
  const elapsed = performance.now() - started;
  await pool.close();
  const latencies = latenciesByHeaders.flat();
  return { latencies, latenciesByHeaders, requestsPerSecond: (latencies.length / elapsed) * 1000, errors, elapsedMs: elapsed };
}

/** Loads measured in slices, as one: their latencies together, requests per second over their summed time. */
export function mergeLoads(loads: readonly LoadResult[]): LoadResult {
  const latencies = loads.flatMap((load) => load.latencies);
  const sets = Math.max(0, ...loads.map((load) => load.latenciesByHeaders.length));
  const latenciesByHeaders = Array.from({ length: sets }, (_, set) => loads.flatMap((load) => load.latenciesByHeaders[set] ?? []));
  const elapsedMs = loads.reduce((sum, load) => sum + load.elapsedMs, 0);
  const cpuMs = loads.every((load) => load.cpuMs !== undefined) ? loads.reduce((sum, load) => sum + load.cpuMs!, 0) : undefined;
  return { latencies, latenciesByHeaders, requestsPerSecond: (latencies.length / elapsedMs) * 1000, errors: loads.reduce((sum, load) => sum + load.errors, 0), elapsedMs, ...(cpuMs === undefined ? {} : { cpuMs }) };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median: for an even count, the mean of the two middle values (no lean either way). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
