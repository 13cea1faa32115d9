import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { median, percentile } from '../bench/load.ts';
import { machineBusyMs, scrapeLoopDelay, type Server } from '../bench/spawn-server.ts';
import { countInto, DRILL_CALL_BODY, failuresText, FLUSH_INTERVAL_MS, GANTRY_PORT, GANTRY_URL, HOSTILE_MOCK_PORT, MASTER_KEY, missingSpans, startGantry, sumCounts, type Success } from './drill-support.ts';

/**
 * Phase 3 of `pnpm drill` (issue 17, "one tenant's request must never hurt another"): a hostile
 * tenant beside a bystander on one live gateway, on PGlite or (DATABASE_URL) Postgres.
 *
 * Two keys of two teams. The bystander calls at a steady BYSTANDER_RATE a second (open loop:
 * calls start on time however long earlier ones take, each call its own run, so each waits on the
 * database once) — a tenant well within what the gateway serves, as real tenants are: a closed
 * loop saturates the machine, and then any work anyone adds slows it by just that share. Through
 * alternating slices of SLICE_MS — quiet (the hostile key idle), busy, malformed, heavy, quiet, …
 * PAIRS of each — because this machine's noise drifts and only slices side by side compare. In a
 * busy slice the hostile key sends valid small calls one at a time, as fast as they are answered:
 * what the bystander feels of any tenant that busy. In a malformed slice it sends issue 17's
 * malformed inputs one at a time (c=1: a single hostile request must not stall anyone; no flood is
 * needed to show it does), cycling through them across slices: lone surrogates, 100 000 nested
 * arrays, NUL in a header and in a path, a run limit past 32 bits, a 100 KB model name and made-up
 * ones, another team's run; and SLOW_LORIS sockets trickle a header line a second. In a heavy
 * slice it sends the large ones, as valid as they are big, the same way: megabyte prompts the
 * tokenizer used to choke on, bodies just under and over the 10 MiB limit; and STALLED_STREAMS
 * stream clients ask for 4 MB answers, stop reading once the answer begins and leave a second
 * later. Malformed input must cost the bystander no more than the busy tenant's valid calls do,
 * however it is made; large input costs what its size costs (parsing, sending, recording
 * megabytes on the same two cores), which a key's limits bound. The hostile tenant's calls go to a
 * provider of their own, a second mock process: the mock is one Node thread that parses each body
 * whole, and a closed loop of 9.9 MB bodies sent straight to it (no gateway) took a small call's
 * p50 / p99 there from 1 / 3 ms to 11–14 / 72–74 ms. Sharing it, the drill measured the mock; a
 * real provider's other customers do not wait on one customer's body. The
 * inputs and what the gateway answers them come from test/e2e/hostile-*.test.ts,
 * bad-input.test.ts and stream-stalled-client.test.ts.
 *
 * Timings are figures, printed and never asserted. The phase fails (throws) on a 5xx or a
 * connection error on any hostile request that must be answered (the server may cut slow-loris
 * sockets), on a bystander call that did not succeed, on a succeeded call without its span, on
 * another team's run answered 200, and on /metrics naming a model a client made up.
 */

const SLICE_MS = 1_500;
const PAIRS = 8;
/** Pause after each slice, outside any measurement: what a slice left (spans of big bodies) is flushed before the next. */
const SETTLE_MS = 250;
/** Bystander calls a second; at c=4 in a closed loop this machine serves ~180 a second on PGlite. */
const BYSTANDER_RATE = 50;
/** Connections the bystander's calls share; more calls in flight queue in the client, and the wait counts. */
const BYSTANDER_CONNECTIONS = 16;
const SLOW_LORIS = 50;
const SLOW_LORIS_EVERY_MS = 1_000;
const STALLED_STREAMS = 4;
const STREAM_LEAVE_MS = 1_000;
/** A hang detector for requests that must be answered: far longer than any answer here takes (not a timing claim). */
const ANSWER_TIMEOUT_MS = 30_000;
/** The hostile tenant's calls go to its own provider (see HOSTILE_MOCK_PORT); the bystander's to `mock`. */
const PROVIDER = 'hostile-mock';
const MODEL = `${PROVIDER}/drill-model`;
/** The mock model that streams for seconds (about 1000 frames 5 ms apart): still streaming when its client leaves. */
const LONG_STREAM_MODEL = 'drill-long-stream';
const STREAM_INPUT = 'stream: stops reading, leaves after ~1 s';
const BUSY_INPUT = 'valid small call (the busy-tenant slices)';
const OTHER_RUN_INPUT = "another team's run (GET /v1/runs/<its Gantry id>)";
/** Made-up model names carry this, so /metrics can be searched for them. */
const MADE_UP_MODEL = 'drill-made-up-';

interface HostileRequest { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string | Buffer }

/** One of issue 17's hostile inputs and the statuses its e2e test expects; `heavy` ones are large (megabytes), the others malformed. */
interface HostileInput { name: string; expected: readonly number[]; heavy?: true; request: () => HostileRequest }

/**
 * What a hostile slice sends: valid small calls (a busy tenant: what malformed input is compared
 * with), the malformed inputs (and slow-loris sockets), or the heavy ones (and stalled long streams).
 */
type SliceKind = 'busy' | 'malformed' | 'heavy';

/** What one hostile input got: answers by status (or `error CODE`), and its slowest answer. */
interface InputFigures { expected: readonly number[]; answers: Map<string, number>; slowestMs: number }

interface Hostile {
  key: string;
  pool: Pool;
  /** The inputs of each kind, and the next of each to send: each cycle goes on across slices. */
  inputs: Record<SliceKind, HostileInput[]>;
  next: Record<SliceKind, number>;
  figures: Map<string, InputFigures>;
  /** When each serial hostile request was in flight (performance.now() ms), to tell which one the bystander felt. */
  log: { name: string; start: number; end: number }[];
}

/** The bystander: its calls' run ids are `prefix-next`. */
interface Bystander { key: string; pool: Pool; prefix: string; next: number; successes: Success[] }

/** The bystander's calls in one slice, and the p99 event-loop delay of the drill's own process through it (ms). */
interface Slice {
  latencies: number[]; windows: [start: number, end: number][]; failures: Map<string, number>; loopDelayMs: number;
  /** Over the bystander's slice: CPU used, in % of one core (the machine has two), and the gateway's own event-loop delay p99 (its /metrics). */
  cpu?: { gateway: number; mock: number; hostileMock: number; drill: number; rest: number }; gatewayLoopP99Ms?: number;
}

/** The processes whose CPU a slice accounts for: the gateway and the two mock providers (the drill is this process). */
interface Processes { gateway: Server; mock: Server; hostileMock: Server }

/** The slow-loris sockets over all slices: how many, how many the gateway cut, and what it said on them. */
interface SlowLorisFigures { opened: number; cut: number; answers: Map<string, number> }

const chatBody = (fields: string) => `{"model":"${MODEL}",${fields}}`;
const SAY_HI = '"messages":[{"role":"user","content":"hi"}]';

/** A chat body of exactly `bytes` bytes: one user message of `x` repeated. */
function chatBodyOfSize(bytes: number): Buffer {
  const overhead = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: '' }] }).length;
  return Buffer.from(JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x'.repeat(bytes - overhead) }] }));
}

/**
 * Issue 17's inputs, in the order sent; among the malformed, a made-up model name after every third, so there are many.
 * Lone surrogates and NUL are JSON escapes in the text, as the tests send them. Large bodies are
 * built once, as bytes: encoding them per request would stall the drill's own event loop.
 */
function hostileInputs(stamp: string, otherRunId: () => string): Record<SliceKind, HostileInput[]> {
  const chat = (body: string | Buffer, headers: Record<string, string> = {}): HostileRequest => ({ method: 'POST', path: '/v1/chat/completions', headers, body });
  const oneCharMegabyte = Buffer.from(chatBody(`"messages":[{"role":"user","content":"${'a'.repeat(1_000_000)}"}]`));
  const base64Megabyte = Buffer.from(chatBody(`"messages":[{"role":"user","content":"${randomBytes(750_000).toString('base64')}"}]`));
  const deep = Buffer.from(chatBody(`${SAY_HI},"extra":${'['.repeat(100_000)}${']'.repeat(100_000)}`));
  const justUnderLimit = chatBodyOfSize(9_900_000);
  const overLimit = chatBodyOfSize(11 * 1024 * 1024);
  const longModel = JSON.stringify({ model: `${PROVIDER}/${'m'.repeat(100_000)}`, messages: [{ role: 'user', content: 'hi' }] });
  const toolCall =
    '"messages":[{"role":"user","content":"look it up"},' +
    '{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\\"q\\":\\"\\ud800\\"}"}}]},' +
    '{"role":"tool","tool_call_id":"call_1","content":"found"}]';
  let run = 0;
  const hostileRun = () => `drill-hostile-${stamp}-${run++}`;
  const madeUpName = () => JSON.stringify({ model: `${PROVIDER}/${MADE_UP_MODEL}${randomUUID()}`, messages: [{ role: 'user', content: 'hi' }] });
  const madeUpModel: HostileInput = { name: 'made-up model names (metrics labels)', expected: [200], request: () => chat(madeUpName()) };
  const inputs: HostileInput[] = [
    { name: 'lone surrogate in user', expected: [200], request: () => chat(chatBody(`"user":"\\ud800",${SAY_HI}`)) },
    { name: 'lone surrogate in user, named run with a budget', expected: [200], request: () => chat(chatBody(`"user":"\\ud800",${SAY_HI}`), { 'x-gantry-run-id': hostileRun(), 'x-gantry-run-budget-usd': '1' }) },
    { name: 'lone surrogate in message text', expected: [200], request: () => chat(chatBody('"messages":[{"role":"user","content":"a\\udc00b"}]')) },
    { name: 'lone surrogate in a tool call argument', expected: [200], request: () => chat(chatBody(toolCall)) },
    { name: 'lone surrogate in x-gantry-metadata', expected: [400], request: () => chat(chatBody(SAY_HI), { 'x-gantry-metadata': '{"note":"\\ud800"}' }) },
    { name: 'NUL in x-gantry-metadata', expected: [400], request: () => chat(chatBody(SAY_HI), { 'x-gantry-metadata': '{"note":"a\\u0000b"}' }) },
    { name: '1 MB prompt of one character', expected: [200], heavy: true, request: () => chat(oneCharMegabyte) },
    { name: '1 MB prompt of base64-like text', expected: [200], heavy: true, request: () => chat(base64Megabyte) },
    { name: '100 000 nested arrays in an unknown field', expected: [400], request: () => chat(deep) },
    { name: '9.9 MB body (limit 10 MiB)', expected: [200], heavy: true, request: () => chat(justUnderLimit) },
    { name: 'GET /v1/runs/%00', expected: [400], request: () => ({ method: 'GET', path: '/v1/runs/%00' }) },
    { name: 'x-gantry-run-max-calls: 2147483648', expected: [400], request: () => chat(chatBody(SAY_HI), { 'x-gantry-run-id': hostileRun(), 'x-gantry-run-max-calls': '2147483648' }) },
    // Run limits are the master key's to raise: refused before the value is read.
    { name: 'POST /v1/runs/:id/limits max_calls 2^31', expected: [403], request: () => ({ method: 'POST', path: `/v1/runs/${hostileRun()}/limits`, body: '{"max_calls":2147483648}' }) },
    { name: '100 KB model name', expected: [200], request: () => chat(longModel) },
    { name: OTHER_RUN_INPUT, expected: [404], request: () => ({ method: 'GET', path: `/v1/runs/${encodeURIComponent(otherRunId())}` }) },
    { name: '11 MiB body (over the limit)', expected: [413], heavy: true, request: () => chat(overLimit) },
  ];
  const malformed = inputs.filter((input) => input.heavy !== true);
  return {
    busy: [{ name: BUSY_INPUT, expected: [200], request: () => chat(chatBody(SAY_HI)) }],
    malformed: malformed.flatMap((input, index) => (index % 3 === 2 ? [input, madeUpModel] : [input])),
    heavy: inputs.filter((input) => input.heavy === true),
  };
}

function record(hostile: Hostile, name: string, expected: readonly number[], answer: string, ms: number): void {
  const figures = hostile.figures.get(name) ?? { expected, answers: new Map<string, number>(), slowestMs: 0 };
  countInto(figures.answers, answer);
  figures.slowestMs = Math.max(figures.slowestMs, ms);
  hostile.figures.set(name, figures);
}

const errorCode = (error: unknown) => `error ${(error as { code?: string }).code ?? String(error)}`;

async function sendHostile(hostile: Hostile, input: HostileInput): Promise<void> {
  const { method, path, headers = {}, body } = input.request();
  const started = performance.now();
  let answer: string;
  try {
    const json = body === undefined ? {} : { 'content-type': 'application/json' };
    const response = await hostile.pool.request({ method, path, headers: { authorization: `Bearer ${hostile.key}`, ...json, ...headers }, body, headersTimeout: ANSWER_TIMEOUT_MS, bodyTimeout: ANSWER_TIMEOUT_MS });
    await response.body.arrayBuffer();
    answer = String(response.statusCode);
  } catch (error) {
    answer = errorCode(error);
  }
  const end = performance.now();
  record(hostile, input.name, input.expected, answer, end - started);
  hostile.log.push({ name: input.name, start: started, end });
}

/** Sends the hostile inputs of `kind` one after another until `until` (the one under way is finished). */
async function sendHostileUntil(hostile: Hostile, kind: SliceKind, until: number): Promise<void> {
  const inputs = hostile.inputs[kind];
  while (performance.now() < until) await sendHostile(hostile, inputs[hostile.next[kind]++ % inputs.length]!);
}

/** Opens `count` connections that send a request line, then one more header line every second, never the end of the headers. */
function openSlowLoris(count: number, figures: SlowLorisFigures): () => void {
  const sockets: Socket[] = [];
  let closing = false;
  let line = 0;
  for (let index = 0; index < count; index++) {
    const socket = connect({ host: '127.0.0.1', port: GANTRY_PORT });
    let head = '';
    let failed = false;
    socket.once('connect', () => socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n'));
    socket.on('data', (chunk: Buffer) => (head = (head + chunk.toString('latin1', 0, 64)).slice(0, 64)));
    socket.on('error', (error) => {
      failed = true;
      countInto(figures.answers, errorCode(error));
    });
    socket.once('close', () => {
      if (closing) return;
      figures.cut++;
      if (!failed) countInto(figures.answers, /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 'closed without an answer');
    });
    sockets.push(socket);
  }
  figures.opened += count;
  const timer = setInterval(() => {
    for (const socket of sockets) if (socket.writable && !socket.connecting) socket.write(`x-slow-${line++}: 1\r\n`);
  }, SLOW_LORIS_EVERY_MS);
  return () => {
    closing = true;
    clearInterval(timer);
    for (const socket of sockets) socket.destroy();
  };
}

/**
 * A streaming chat call over a raw socket that stops reading once the answer's headers are in (the
 * gateway's writes back up, as in stream-stalled-client.test.ts) and leaves STREAM_LEAVE_MS later.
 * Records the status, or the error or hang that came instead, and the time to the headers.
 */
function stalledStream(hostile: Hostile): Promise<void> {
  const body = JSON.stringify({ model: `${PROVIDER}/${LONG_STREAM_MODEL}`, messages: [{ role: 'user', content: 'stream a lot' }], stream: true });
  const requestHead = `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${hostile.key}\r\ncontent-type: application/json\r\n`;
  const request = `${requestHead}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const started = performance.now();
  return new Promise((resolve) => {
    let head = '';
    let answer: string | undefined;
    let headMs = Number.NaN;
    const socket = connect({ host: '127.0.0.1', port: GANTRY_PORT }, () => socket.write(request));
    let leave = setTimeout(() => socket.destroy(), ANSWER_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      headMs = performance.now() - started;
      answer = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 'not HTTP';
      socket.off('data', onData);
      socket.pause();
      clearTimeout(leave);
      leave = setTimeout(() => socket.destroy(), STREAM_LEAVE_MS);
    };
    socket.on('data', onData);
    socket.on('error', (error) => (answer ??= errorCode(error)));
    socket.once('close', () => {
      clearTimeout(leave);
      record(hostile, STREAM_INPUT, [200], answer ?? `error no answer in ${ANSWER_TIMEOUT_MS} ms`, headMs);
      resolve();
    });
  });
}

/** The bystander's open loop at BYSTANDER_RATE for `durationMs`; each call its own run. */
async function bystanderSlice(bystander: Bystander, durationMs: number): Promise<Slice> {
  const slice: Slice = { latencies: [], windows: [], failures: new Map(), loopDelayMs: Number.NaN };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  async function call(): Promise<void> {
    const started = performance.now();
    try {
      const headers = { authorization: `Bearer ${bystander.key}`, 'content-type': 'application/json', 'x-gantry-run-id': `${bystander.prefix}-${bystander.next++}` };
      const response = await bystander.pool.request({ path: '/v1/chat/completions', method: 'POST', headers, body: DRILL_CALL_BODY, headersTimeout: ANSWER_TIMEOUT_MS, bodyTimeout: ANSWER_TIMEOUT_MS });
      await response.body.arrayBuffer();
      const ended = performance.now();
      slice.latencies.push(ended - started);
      slice.windows.push([started, ended]);
      // Gantry's run id: the master key finds another team's run by it, not by the client's id.
      const { 'x-gantry-run-id': runId, 'x-gantry-span-id': spanId } = response.headers;
      if (response.statusCode === 200 && typeof runId === 'string' && typeof spanId === 'string') bystander.successes.push({ runId, spanId, endedAt: Date.now() });
      else countInto(slice.failures, String(response.statusCode));
    } catch (error) {
      countInto(slice.failures, errorCode(error));
    }
  }
  const calls: Promise<void>[] = [];
  const start = performance.now();
  const count = Math.round((durationMs / 1000) * BYSTANDER_RATE);
  for (let index = 0; index < count; index++) {
    const due = start + (index * 1000) / BYSTANDER_RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    calls.push(call());
  }
  await Promise.all(calls);
  loop.disable();
  slice.loopDelayMs = loop.percentile(99) / 1e6;
  return slice;
}

/**
 * `bystanderSlice`, with what each process used of the CPU over it and the gateway's event-loop
 * delay: when the bystander is slower in hostile slices, these tell the gateway blocking its
 * loop (its delay grows) from the machine's two cores being busy with the hostile tenant's work
 * (the mock's and the drill's included).
 */
async function measuredSlice(bystander: Bystander, processes: Processes): Promise<Slice> {
  await scrapeLoopDelay(GANTRY_PORT); // resets the histogram: the next scrape reads this slice's
  const started = performance.now();
  const before = { gateway: processes.gateway.cpuMs(), mock: processes.mock.cpuMs(), hostileMock: processes.hostileMock.cpuMs(), drill: process.cpuUsage(), machine: machineBusyMs() };
  const slice = await bystanderSlice(bystander, SLICE_MS);
  const wall = performance.now() - started;
  const gateway = processes.gateway.cpuMs() - before.gateway;
  const mock = processes.mock.cpuMs() - before.mock;
  const hostileMock = processes.hostileMock.cpuMs() - before.hostileMock;
  const drillUsage = process.cpuUsage(before.drill);
  const drill = (drillUsage.user + drillUsage.system) / 1000;
  const percent = (used: number) => (100 * used) / wall;
  slice.cpu = { gateway: percent(gateway), mock: percent(mock), hostileMock: percent(hostileMock), drill: percent(drill), rest: percent(machineBusyMs() - before.machine - gateway - mock - hostileMock - drill) };
  slice.gatewayLoopP99Ms = (await scrapeLoopDelay(GANTRY_PORT)).p99;
  return slice;
}

/** A bystander slice with the hostile tenant at work of `kind` through it; returns once every hostile socket is closed. */
async function hostileSlice(kind: SliceKind, bystander: Bystander, hostile: Hostile, slowLoris: SlowLorisFigures, processes: Processes): Promise<Slice> {
  const closeSlowLoris = kind === 'malformed' ? openSlowLoris(SLOW_LORIS, slowLoris) : () => {};
  const streams = kind === 'heavy' ? Array.from({ length: STALLED_STREAMS }, () => stalledStream(hostile)) : [];
  const requests = sendHostileUntil(hostile, kind, performance.now() + SLICE_MS);
  const slice = await measuredSlice(bystander, processes);
  await Promise.all([requests, ...streams]);
  closeSlowLoris();
  // The hostile tenant's mock keeps its latest requests, bodies and all: megabytes per heavy slice, so empty it.
  await scriptLongStream();
  return slice;
}

/** Empties the hostile tenant's mock's scripts and request log, and scripts LONG_STREAM_MODEL (4 MB of text in 4096-character frames, 5 ms apart). */
async function scriptLongStream(): Promise<void> {
  const mock = `http://127.0.0.1:${HOSTILE_MOCK_PORT}/_mock/scripts`;
  await (await fetch(mock, { method: 'DELETE' })).arrayBuffer();
  const steps = [{ text: 'stream me '.repeat(400_000), chunkSize: 4096, chunkDelayMs: 5 }];
  const response = await fetch(mock, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: LONG_STREAM_MODEL, steps }) });
  if (response.status !== 201) throw new Error(`mock provider: POST /_mock/scripts answered ${response.status}: ${await response.text()}`);
}

async function adminPost<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(`${GANTRY_URL}${path}`, { method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status !== 201) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** A team of its own and a key in it; returns the key. */
async function createTenant(role: string, stamp: string, limits?: Record<string, unknown>): Promise<string> {
  const team = await adminPost<{ id: string }>('/admin/teams', { name: `drill ${role} ${stamp}` });
  return (await adminPost<{ key: string }>('/admin/keys', { name: `drill ${role}`, team_id: team.id, ...(limits === undefined ? {} : { limits }) })).key;
}

async function metricsText(): Promise<string> {
  const response = await fetch(`${GANTRY_URL}/metrics`);
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  return response.text();
}

const ms = (value: number) => (Number.isFinite(value) ? String(Math.round(value)) : '–');
const mediansOf = (slices: readonly Slice[], p: number) => median(slices.map((slice) => percentile(slice.latencies, p)));
const sortedText = (counts: ReadonlyMap<string, number>) => failuresText(new Map([...counts].sort(([a], [b]) => a.localeCompare(b))));
/** A 5xx, or an error where an answer was due. */
const isFailure = (answer: string) => answer.startsWith('error') || /^5\d\d$/.test(answer);

/** What the phase measured; `successes` counts the bystander's, `missing` are those without their span. */
interface PhaseOutcome {
  quiet: Slice[]; busy: Slice[]; malformed: Slice[]; heavy: Slice[]; figures: Map<string, InputFigures>; log: Hostile['log']; inputNames: string[];
  slowLoris: SlowLorisFigures; successes: number; missing: Success[]; metrics: { before: string; after: string };
}

/** The bystander's latencies by the serial hostile request each call overlapped most (streams and slow-loris sockets overlap them all). */
function feltBy(windows: readonly [number, number][], log: Hostile['log']): Map<string, number[]> {
  const felt = new Map<string, number[]>();
  for (const [start, end] of windows) {
    let most: { name: string; overlap: number } | undefined;
    for (const entry of log) {
      const overlap = Math.min(end, entry.end) - Math.max(start, entry.start);
      if (overlap > (most?.overlap ?? 0)) most = { name: entry.name, overlap };
    }
    if (most !== undefined) felt.set(most.name, [...(felt.get(most.name) ?? []), end - start]);
  }
  return felt;
}

/** Prints the phase's tables; returns what went wrong (empty when the phase passed). */
function report(outcome: PhaseOutcome): string[] {
  const { quiet, busy, malformed, heavy, figures } = outcome;
  const kinds = [quiet, busy, malformed, heavy];
  const hostile = [...busy, ...malformed, ...heavy];
  /** A figure of each kind of slice, quiet / busy / malformed / heavy. */
  const each = (figure: (slices: readonly Slice[]) => string) => kinds.map(figure).join(' / ');
  const calls = (slices: readonly Slice[]) => String(slices.reduce((sum, slice) => sum + slice.latencies.length, 0));
  const bystanderFailures = sumCounts([...quiet, ...hostile].map((slice) => slice.failures));
  const answers = sumCounts([...figures.values()].map((one) => one.answers));
  const failed = new Map([...answers].filter(([answer]) => isFailure(answer)));
  const metricsBytes = `${Buffer.byteLength(outcome.metrics.before)} / ${Buffer.byteLength(outcome.metrics.after)}`;
  console.log('| drill | bystander calls quiet / busy / malformed / heavy | bystander p50 (median of slices) | p99 (median of slices) | bystander non-200 | hostile answers by status | 5xx or connection errors | spans lost | /metrics bytes before/after |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  console.log(
    `| hostile tenant beside a bystander at ${BYSTANDER_RATE} calls/s, ${PAIRS} slices of each kind, ${SLICE_MS / 1000} s each | ${each(calls)} | ${each((slices) => ms(mediansOf(slices, 50)))} ms | ${each((slices) => ms(mediansOf(slices, 99)))} ms | ${failuresText(bystanderFailures)} | ${sortedText(answers)} | ${failuresText(failed)} | ${outcome.missing.length} of ${outcome.successes} | ${metricsBytes} |`,
  );
  const rounds = quiet.map((slice, index) => [slice, busy[index], malformed[index], heavy[index]].map((one) => ms(percentile(one?.latencies ?? [], 99))).join('/'));
  console.log(`\nBystander p99 per round of slices, ms (quiet/busy/malformed/heavy, in order): ${rounds.join(', ')}`);
  const loopDelay = (slices: readonly Slice[]) => ms(median(slices.map((slice) => slice.loopDelayMs)));
  console.log(`The drill's own event-loop delay p99 (median of slices; the client is not what is slow if it stays small): ${each(loopDelay)} ms`);
  const gatewayLoop = (slices: readonly Slice[]) => ms(median(slices.map((slice) => slice.gatewayLoopP99Ms ?? Number.NaN)));
  console.log(`The gateway's event-loop delay p99 (its /metrics, over each slice; median of slices): ${each(gatewayLoop)} ms`);
  const cpuOf = (which: 'gateway' | 'mock' | 'hostileMock' | 'drill' | 'rest') => `${which === 'hostileMock' ? 'hostile mock' : which} ${each((slices) => ms(median(slices.map((slice) => slice.cpu?.[which] ?? Number.NaN))))}`;
  console.log(`CPU over the slices, % of one core of the machine's two (median of slices, quiet / busy / malformed / heavy): ${(['gateway', 'mock', 'hostileMock', 'drill', 'rest'] as const).map(cpuOf).join(', ')}`);
  console.log(`Slow-loris: ${outcome.slowLoris.opened} sockets (${SLOW_LORIS} per malformed slice, closed by the drill at its end); cut by the gateway before that: ${outcome.slowLoris.cut} (${sortedText(outcome.slowLoris.answers)})\n`);
  const felt = feltBy(hostile.flatMap((slice) => slice.windows), outcome.log);
  console.log('| hostile input | answers | e2e tests expect | slowest answer (ms; streams: to the headers) | bystander calls overlapping it most: p50 / p99 ms (calls) |');
  console.log('|---|---|---|---|---|');
  for (const [name, each] of figures) {
    const overlapping = felt.get(name) ?? [];
    console.log(`| ${name} | ${sortedText(each.answers)} | ${each.expected.join(' or ')} | ${ms(each.slowestMs)} | ${ms(percentile(overlapping, 50))} / ${ms(percentile(overlapping, 99))} (${overlapping.length}) |`);
  }

  const problems: string[] = [];
  if (bystanderFailures.size > 0) problems.push(`bystander calls that did not succeed: ${failuresText(bystanderFailures)}`);
  for (const [name, each] of figures) if ([...each.answers.keys()].some(isFailure)) problems.push(`hostile input '${name}' got ${sortedText(each.answers)}`);
  const unsent = outcome.inputNames.filter((name) => !figures.has(name));
  if (unsent.length > 0) problems.push(`hostile inputs never sent (the slices were too short for the cycle): ${unsent.join('; ')}`);
  if ((figures.get(OTHER_RUN_INPUT)?.answers.get('200') ?? 0) > 0) problems.push("the hostile key read the bystander team's run");
  if (outcome.missing.length > 0) problems.push(`${outcome.missing.length} bystander calls that succeeded have no span, e.g. run ${outcome.missing[0]!.runId} span ${outcome.missing[0]!.spanId}`);
  if (outcome.metrics.after.includes(MADE_UP_MODEL) || outcome.metrics.after.includes('m'.repeat(256))) problems.push('/metrics names a model a client made up (unbounded labels)');
  return problems;
}

/** Runs the phase on a gateway of its own (the drill's work directory and database); prints its tables, throws on a failure. */
export async function hostileTenantDrill(work: string, databaseUrl: string | undefined, mock: Server, hostileMock: Server): Promise<void> {
  const gantry = await startGantry(work, databaseUrl);
  const processes: Processes = { gateway: gantry, mock, hostileMock };
  const stamp = Date.now().toString(36);
  const bystanderPool = new Pool(GANTRY_URL, { connections: BYSTANDER_CONNECTIONS, pipelining: 1 });
  const hostilePool = new Pool(GANTRY_URL, { connections: 1, pipelining: 1 });
  try {
    const bystander: Bystander = { key: await createTenant('bystander', stamp), pool: bystanderPool, prefix: `drill-bystander-${stamp}`, next: 0, successes: [] };
    // A rate limit makes the gateway count the hostile key's prompts: the tokenizer is among what is tried.
    const hostileKey = await createTenant('hostile', stamp, { tpm: 1e12 });
    const inputs = hostileInputs(stamp, () => bystander.successes[0]?.runId ?? 'no-bystander-call-yet');
    const hostile: Hostile = { key: hostileKey, pool: hostilePool, inputs, next: { busy: 0, malformed: 0, heavy: 0 }, figures: new Map(), log: [] };
    await scriptLongStream();
    const metricsBefore = await metricsText();
    const slowLoris: SlowLorisFigures = { opened: 0, cut: 0, answers: new Map() };
    const quiet: Slice[] = [];
    const busy: Slice[] = [];
    const malformed: Slice[] = [];
    const heavy: Slice[] = [];
    for (let pair = 0; pair < PAIRS; pair++) {
      quiet.push(await measuredSlice(bystander, processes));
      await sleep(SETTLE_MS);
      busy.push(await hostileSlice('busy', bystander, hostile, slowLoris, processes));
      await sleep(SETTLE_MS);
      malformed.push(await hostileSlice('malformed', bystander, hostile, slowLoris, processes));
      await sleep(SETTLE_MS);
      heavy.push(await hostileSlice('heavy', bystander, hostile, slowLoris, processes));
      await sleep(SETTLE_MS);
    }
    // Spans still buffered land within a few flushes.
    await sleep(5 * FLUSH_INTERVAL_MS);
    const missing = await missingSpans(bystander.successes);
    const metricsAfter = await metricsText();
    const inputNames = [...new Set([...inputs.busy, ...inputs.malformed, ...inputs.heavy].map((input) => input.name)), STREAM_INPUT];
    const problems = report({ quiet, busy, malformed, heavy, figures: hostile.figures, log: hostile.log, inputNames, slowLoris, successes: bystander.successes.length, missing, metrics: { before: metricsBefore, after: metricsAfter } });
    if (problems.length > 0) throw new Error(`hostile-tenant drill failed:\n- ${problems.join('\n- ')}`);
  } finally {
    await Promise.all([bystanderPool.close(), hostilePool.close()]);
    await gantry.stop();
  }
}
