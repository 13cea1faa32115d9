import { randomUUID } from 'node:crypto';
import { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/** USD per million tokens. */
const PRICE = { input: 1, output: 2, cached_input: 0.5 };
const USAGE = { input: 1000, output: 500, cachedInput: 200 };
// By hand: 800 uncached × $1 + 200 cached × $0.50 + 500 output × $2, per million tokens = $0.0019.
const EXPECTED_COST_USD = 0.0019;

/** Prometheus text format → value per series, keyed `name{a="x",b="y"}` with labels sorted. */
function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, name, value]) => `${name}="${value}"`).sort();
    series.set(`${match[1]}{${labels.join(',')}}`, Number(match[3]));
  }
  return series;
}

function key(name: string, labels: Record<string, string> = {}): string {
  return `${name}{${Object.entries(labels).map(([label, value]) => `${label}="${value}"`).sort().join(',')}}`;
}

describe('GET /metrics', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      // Failures go to a provider of their own, so a circuit breaker they open cannot touch `local`.
      config: (mockUrl) => ({
        providers: { local: { type: 'openai-compatible', base_url: `${mockUrl}/v1` }, flaky: { type: 'openai-compatible', base_url: `${mockUrl}/v1` } },
        pricing: { 'local/metric-model': PRICE, 'local/metric-stream': PRICE, 'flaky/metric-fail': PRICE },
      }),
    });
    stack.mock.script('metric-model', [{ text: 'counted', usage: USAGE }]);
    stack.mock.script('metric-stream', [{ text: 'streamed and counted', chunkSize: 4, usage: USAGE }]);
    stack.mock.script('metric-fail', [{ status: 500 }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function scrape(): Promise<Map<string, number>> {
    // No key: /metrics is open, like /healthz.
    const response = await fetch(`${stack.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(await response.text());
  }

  it('counts requests, calls, tokens, cost, errors and latencies by the right amounts', async () => {
    const before = await scrape();
    const delta = async (name: string, labels: Record<string, string> = {}) => ((await scrapedAfter()).get(key(name, labels)) ?? 0) - (before.get(key(name, labels)) ?? 0);
    let after: Map<string, number> | undefined;
    const scrapedAfter = async () => (after ??= await scrape());

    const client = stack.openai();
    const ok = await client.chat.completions.create({ model: 'local/metric-model', messages: [{ role: 'user', content: 'count me' }] });
    expect(ok.choices[0]?.message.content).toBe('counted');
    let streamed = '';
    for await (const chunk of await client.chat.completions.create({ model: 'local/metric-stream', messages: [{ role: 'user', content: 'stream me' }], stream: true })) {
      streamed += chunk.choices[0]?.delta.content ?? '';
    }
    expect(streamed).toBe('streamed and counted');
    const failedBefore = stack.mock.requests.length;
    const failure = await client.chat.completions.create({ model: 'flaky/metric-fail', messages: [{ role: 'user', content: 'fail me' }] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).status).toBe(502);
    // However many tries the router made, each is one upstream error.
    const failedAttempts = stack.mock.requests.length - failedBefore;
    expect(failedAttempts).toBeGreaterThanOrEqual(1);
    await stack.flush();

    const chatRoute = { route: '/v1/chat/completions', method: 'POST' };
    expect(await delta('gantry_http_requests_total', { ...chatRoute, status: '200' })).toBe(2);
    expect(await delta('gantry_http_requests_total', { ...chatRoute, status: '502' })).toBe(1);
    expect(await delta('gantry_http_requests_total', { route: '/metrics', method: 'GET', status: '200' })).toBe(1);

    for (const model of ['metric-model', 'metric-stream']) {
      const labels = { provider: 'local', model };
      expect(await delta('gantry_llm_calls_total', { ...labels, status: 'ok' })).toBe(1);
      expect(await delta('gantry_tokens_total', { ...labels, type: 'input' })).toBe(USAGE.input);
      expect(await delta('gantry_tokens_total', { ...labels, type: 'output' })).toBe(USAGE.output);
      expect(await delta('gantry_tokens_total', { ...labels, type: 'cached' })).toBe(USAGE.cachedInput);
      expect(await delta('gantry_cost_usd_total', labels)).toBeCloseTo(EXPECTED_COST_USD, 10);
    }
    expect(await delta('gantry_llm_calls_total', { provider: 'flaky', model: 'metric-fail', status: 'error' })).toBe(1);
    expect(await delta('gantry_errors_total', { provider: 'flaky', code: 'provider_error' })).toBe(failedAttempts);
    expect(await delta('gantry_errors_total', { provider: 'local', code: 'provider_error' })).toBe(0);

    expect(await delta('gantry_upstream_latency_milliseconds_count', { provider: 'local', outcome: 'ok', stream: 'false' })).toBe(1);
    expect(await delta('gantry_upstream_latency_milliseconds_count', { provider: 'local', outcome: 'ok', stream: 'true' })).toBe(1);
    expect(await delta('gantry_upstream_latency_milliseconds_count', { provider: 'flaky', outcome: 'error', stream: 'false' })).toBe(failedAttempts);
    expect(await delta('gantry_added_latency_milliseconds_count', { stream: 'false' })).toBe(2);
    expect(await delta('gantry_added_latency_milliseconds_count', { stream: 'true' })).toBe(1);
    expect(await delta('gantry_time_to_first_token_milliseconds_count', { provider: 'local' })).toBe(1);
    // Every observation is a duration: the sums cannot be negative.
    expect(await delta('gantry_added_latency_milliseconds_sum', { stream: 'false' })).toBeGreaterThanOrEqual(0);
    expect(await delta('gantry_upstream_latency_milliseconds_sum', { provider: 'local', outcome: 'ok', stream: 'true' })).toBeGreaterThan(0);

    // One llm span per call plus one attempt span per upstream try, all written by the flush above.
    expect(await delta('gantry_spans_written_total')).toBe(3 + 2 + failedAttempts);
    expect((await scrapedAfter()).get(key('gantry_spans_buffered'))).toBe(0);
    expect(await delta('gantry_spans_dropped_total')).toBe(0);
  });

  it('reports open runs from the database and runs ended by this instance', async () => {
    const runId = `metrics-${randomUUID()}`;
    const xidAge = (await scrape()).get(key('gantry_database_xid_age'));
    await stack.openai().chat.completions.create({ model: 'local/metric-model', messages: [{ role: 'user', content: 'run' }] }, { headers: { 'x-gantry-run-id': runId } });
    const open = (await scrape()).get(key('gantry_open_runs'));
    expect(Number.isInteger(open)).toBe(true);
    // The database may be shared with other test files: at least this run is open.
    expect(open).toBeGreaterThanOrEqual(1);
    // A call into a named run takes transaction IDs (its reservation and settlement): the oldest
    // unfrozen row is now further behind.
    expect(Number.isInteger(xidAge)).toBe(true);
    expect((await scrape()).get(key('gantry_database_xid_age'))).toBeGreaterThan(xidAge!);

    const before = (await scrape()).get(key('gantry_runs_ended_total', { status: 'failed' })) ?? 0;
    const ended = await fetch(`${stack.url}/v1/runs/${runId}/end`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'failed' }),
    });
    expect(ended.status).toBe(200);
    expect((await scrape()).get(key('gantry_runs_ended_total', { status: 'failed' }))).toBe(before + 1);
  });

  it('serves the default process metrics and labels unmatched routes without their path', async () => {
    expect((await fetch(`${stack.url}/no-such-route-${randomUUID()}`)).status).toBe(404);
    const metrics = await scrape();
    expect(metrics.get(key('process_cpu_user_seconds_total'))).toBeGreaterThan(0);
    expect(metrics.has(key('nodejs_heap_size_used_bytes'))).toBe(true);
    expect(metrics.get(key('gantry_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }))).toBeGreaterThanOrEqual(1);
    expect([...metrics.keys()].some((series) => series.includes('no-such-route'))).toBe(false);
  });
});
