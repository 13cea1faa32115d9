import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SpanRecorderStats } from '@gantry/runs';

/** Where the scrape-time values come from. */
export interface GatewayMetricsSources {
  /** The recorder's counters, read at scrape time. */
  recorderStats: () => SpanRecorderStats;
  /** Runs with status `running`, across all instances (one indexed count at scrape time). */
  countOpenRuns: () => Promise<number>;
  /**
   * Transactions since the oldest row not yet frozen, in any database of the server
   * (`max(age(datfrozenxid))`); Postgres must freeze rows before this reaches 2³¹.
   */
  transactionIdAge: () => Promise<number>;
  /** Longest a scrape waits for a database read (open runs, transaction-ID age) before reporting it unknown (NaN). */
  databaseReadTimeoutMs?: number;
}

const LATENCY_MS_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];
const UPSTREAM_MS_BUCKETS = [25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, 300_000];

/** A counter whose value is read from elsewhere at scrape time (it only ever grows there). */
function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The gateway's Prometheus metrics, in a registry of its own per gateway instance (never the
 * global default registry, so instances in one process do not collide). Latencies are in
 * milliseconds, as the `_milliseconds` suffix says.
 */
export class GatewayMetrics {
  readonly registry = new Registry();

  /** Every HTTP response, by route template (`unmatched` for 404s), method and status. */
  readonly requests = new Counter({
    name: 'gantry_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  /** Client-visible LLM calls (chat and embeddings), not upstream attempts. */
  readonly llmCalls = new Counter({
    name: 'gantry_llm_calls_total',
    help: "LLM calls (chat and embeddings), by provider, model sent upstream and status (ok|error); provider 'none' when no upstream was reached; provider and model names the configuration does not know count as 'other'.",
    labelNames: ['provider', 'model', 'status'] as const,
    registers: [this.registry],
  });

  readonly addedLatency = new Histogram({
    name: 'gantry_added_latency_milliseconds',
    help: "Gateway time inside an LLM call not spent in upstream attempts: the call's duration minus the sum of its attempts' durations (for streams the winning attempt lasts until the last byte, so this is the time before the first upstream request and between fallbacks).",
    labelNames: ['stream'] as const,
    buckets: LATENCY_MS_BUCKETS,
    registers: [this.registry],
  });

  readonly upstreamLatency = new Histogram({
    name: 'gantry_upstream_latency_milliseconds',
    help: 'Duration of each upstream attempt, by provider, outcome (ok|error) and stream; a streamed attempt lasts until its last byte.',
    labelNames: ['provider', 'outcome', 'stream'] as const,
    buckets: UPSTREAM_MS_BUCKETS,
    registers: [this.registry],
  });

  readonly timeToFirstToken = new Histogram({
    name: 'gantry_time_to_first_token_milliseconds',
    help: 'Streamed calls: from the request reaching the gateway to the first content event from upstream, by provider.',
    labelNames: ['provider'] as const,
    buckets: UPSTREAM_MS_BUCKETS,
    registers: [this.registry],
  });

  readonly tokens = new Counter({
    name: 'gantry_tokens_total',
    help: "Tokens reported by providers, by provider, model ('other' for names the configuration does not know) and type (input|output|cached; cached is a subset of input).",
    labelNames: ['provider', 'model', 'type'] as const,
    registers: [this.registry],
  });

  readonly cost = new Counter({
    name: 'gantry_cost_usd_total',
    help: "Cost of LLM calls in US dollars, by provider and model ('other' for names the configuration does not know; calls to unpriced models add nothing).",
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });

  readonly errors = new Counter({
    name: 'gantry_errors_total',
    help: "Errors, by provider and gateway error code: each failed upstream attempt, plus calls that failed after their last attempt succeeded (a broken stream) or before any attempt (provider 'none').",
    labelNames: ['provider', 'code'] as const,
    registers: [this.registry],
  });

  readonly runsEnded = new Counter({
    name: 'gantry_runs_ended_total',
    help: 'Named runs ended by this instance (POST /v1/runs/:id/end or the idle sweep), by final status.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  constructor(sources: GatewayMetricsSources) {
    const registry = this.registry;
    mirroredCounter(registry, 'gantry_spans_written_total', 'Spans written to the database by this instance.', () => sources.recorderStats().written);
    mirroredCounter(registry, 'gantry_spans_dropped_total', 'Spans dropped by this instance: buffer full, or refused by the database.', () => sources.recorderStats().dropped);
    mirroredCounter(registry, 'gantry_span_write_failures_total', 'Span batch writes that failed (and were retried or split).', () => sources.recorderStats().failedWrites);
    new Gauge({
      name: 'gantry_spans_buffered',
      help: 'Spans held in memory waiting to be written.',
      registers: [registry],
      collect() {
        this.set(sources.recorderStats().buffered);
      },
    });
    const timeoutMs = sources.databaseReadTimeoutMs ?? 2_000;
    const databaseGauge = (name: string, help: string, read: () => Promise<number>) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          try {
            this.set(await withTimeout(read(), timeoutMs));
          } catch {
            // NaN, not 0 and not a stale value: "unknown" is the truth when the database is away.
            this.set(Number.NaN);
          }
        },
      });
    databaseGauge(
      'gantry_open_runs',
      "Runs with status 'running' in the database, shared by all instances (aggregate with max, not sum); NaN when the database did not answer.",
      sources.countOpenRuns,
    );
    databaseGauge(
      'gantry_database_xid_age',
      'Transactions since the oldest unfrozen row in any database of the server (max of age(datfrozenxid)). Postgres must freeze rows before 2^31: alert well before 1.5e9. NaN when the database did not answer.',
      sources.transactionIdAge,
    );
    collectDefaultMetrics({ register: registry });
  }
}
