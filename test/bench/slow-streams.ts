import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { limitedKey } from './limited-key.ts';
import { median, percentile } from './load.ts';
import { answers, ELD_RESOLUTION_MS, machineBusyMs, quiet, scrapeLoopDelay, spawnServer, workDir, type Server } from './spawn-server.ts';
import { runStreamWave, type StreamWave } from './sse-stream-client.ts';
import { builtGateway } from '../support/built-gateway.ts';

/**
 * The thousand slow streams (issue 23, item 4): N concurrent streaming chat completions, each
 * C content chunks G ms apart, through a bare Node pass-through (the floor) and through Gantry
 * (recording on, a key under budgets and rate limits), floor → Gantry → floor so drift shows, after
 * one wave of each with cold upstream pools and one straight to the mock. Reports what Gantry adds
 * to time to first token and to the gaps between chunks, its RSS per open stream, its event-loop
 * delay, and the CPU of every process and of the rest of the machine (on Postgres the database's
 * is there), so a saturated client, upstream or shared machine shows.
 *
 * The upstream is the mock provider (one script, timed by `chunkDelayMs`), not a dedicated server:
 * profiled at 1,000 streams, most of its time per frame is the kernel's send (writev), which a
 * dedicated server would pay too, and its request log is emptied before every wave.
 * Loopback only; every wave is bounded in time.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const CHUNKS = Number(process.env.BENCH_STREAM_CHUNKS ?? 50);
const GAP_MS = Number(process.env.BENCH_STREAM_GAP_MS ?? 50);
/** The BENCH_STREAMS streams of a wave start evenly over this long (one a millisecond at the defaults); smaller waves keep that start rate. */
const RAMP_MS = Number(process.env.BENCH_STREAM_RAMP_MS ?? 1000);
const rampOf = (streams: number) => (RAMP_MS * streams) / STREAMS;
const CHUNK_CHARS = 8;
const UPSTREAM_PORT = 4700;
const FLOOR_PORT = 4701;
const GANTRY_PORT = 4702;
const MASTER_KEY = 'gk-master-slow-streams';
const MODEL = 'slow-stream';
/** A shorter script for the warm-up waves. */
const WARM_MODEL = 'slow-stream-warm';
const WARM_CHUNKS = 20;
/** Warm-up waves per target, each of a fifth of the streams (see runSlowStreamsBench). */
const WARM_WAVES = 3;
/** Gantry's added TTFT p99 and gap p99 over the floor's, in ms (issue 23). */
const TARGET = { ttftMs: 5, gapMs: 2, rssKiBPerStream: 50 };
/**
 * The floor "holds" the rate while its gap p99 stays within this many ms of G (a fifth of it, at
 * least 5 ms); past that the client, the mock or the floor saturated. Looser than Gantry's target:
 * the floor only has to be a usable baseline on a machine others share.
 */
const FLOOR_GAP_SLACK_MS = Math.max(5, GAP_MS / 5);
const RSS_SAMPLE_MS = 50;

interface Target {
  name: string;
  port: number;
  model: string;
  /** The process between client and upstream; none for the direct wave. */
  server?: Server;
  /** Gantry: RSS and event-loop delay are read from it. */
  gantry?: boolean;
}

/** One wave through one target, with what every process spent on it. */
interface Measured {
  target: Target;
  /** The row's name. */
  label: string;
  /** Run before any wave of this size had filled the upstream pool: each stream opened an upstream connection. */
  coldPool: boolean;
  wave: StreamWave;
  /** CPU over the wave, in ms: each process (`via` NaN for the direct wave), and the rest of the machine (all CPUs' busy time less those three). */
  cpuMs: { client: number; upstream: number; via: number; rest: number };
  /** The client's own event-loop delay p99, in ms (above its 10 ms sampling interval). */
  clientDelayP99Ms: number;
  /** Gantry only: RSS idle just before the wave (median, KiB), and samples through the wave of RSS (KiB) with the streams responding then. */
  rss?: { idleKiB: number; samples: { kiB: number; responding: number }[] };
  /** Gantry only: event-loop delay over the wave from /metrics, in ms, the resolution taken off. */
  delayMs?: { p50: number; p99: number; max: number };
}

const requestBody = (model: string) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'Tell me a long story, slowly.' }], max_tokens: 400, stream: true, stream_options: { include_usage: true } });

async function script(name: string, chunks: number): Promise<void> {
  const text = 'Onceupon'.repeat(chunks).slice(0, chunks * CHUNK_CHARS);
  const response = await fetch(`http://127.0.0.1:${UPSTREAM_PORT}/_mock/scripts`, { method: 'POST', body: JSON.stringify({ name, steps: [{ text, chunkSize: CHUNK_CHARS, chunkDelayMs: GAP_MS }] }) });
  if (response.status !== 201) throw new Error(`mock script ${name}: ${response.status} ${await response.text()}`);
}

/** Empties the mock's request log (it keeps every request), then scripts both models again. */
async function resetMock(): Promise<void> {
  await fetch(`http://127.0.0.1:${UPSTREAM_PORT}/_mock/scripts`, { method: 'DELETE' });
  await script(MODEL, CHUNKS);
  await script(WARM_MODEL, WARM_CHUNKS);
}


function waveOptions(target: Target, apiKey: string, streams: number, warm: boolean, onRespondingChange?: (responding: number) => void) {
  const chunks = warm ? WARM_CHUNKS : CHUNKS;
  return {
    port: target.port,
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: requestBody(warm ? target.model.replace(MODEL, WARM_MODEL) : target.model),
    streams,
    rampMs: rampOf(streams),
    expectedChunks: chunks,
    timeoutMs: 30_000 + 3 * (chunks + 4) * GAP_MS,
    ...(onRespondingChange === undefined ? {} : { onRespondingChange }),
  };
}

/** One measured wave: CPU of every process around it; for Gantry also RSS samples and the loop delay. */
async function measureWave(target: Target, label: string, upstream: Server, apiKey: string, streams: number, coldPool = false): Promise<Measured> {
  const gantry = target.gantry === true ? target.server : undefined;
  const idle: number[] = [];
  for (let sample = 0; sample < 5 && gantry !== undefined; sample++) {
    idle.push(gantry.rssMiB() * 1024);
    await new Promise((resolve) => setTimeout(resolve, RSS_SAMPLE_MS));
  }
  if (gantry !== undefined) await scrapeLoopDelay(target.port); // resets the histogram: the next scrape reads this wave's
  let responding = 0;
  const samples: { kiB: number; responding: number }[] = [];
  const sampler = setInterval(() => {
    if (gantry !== undefined) samples.push({ kiB: gantry.rssMiB() * 1024, responding });
  }, RSS_SAMPLE_MS);
  const clientDelay = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  clientDelay.enable();
  const viaCpu = () => target.server?.cpuMs() ?? Number.NaN;
  const before = { client: process.cpuUsage(), upstream: upstream.cpuMs(), via: viaCpu(), machine: machineBusyMs() };
  const wave = await runStreamWave(waveOptions(target, apiKey, streams, false, (now) => (responding = now)));
  const clientCpu = process.cpuUsage(before.client);
  const cpuMs = { client: (clientCpu.user + clientCpu.system) / 1000, upstream: upstream.cpuMs() - before.upstream, via: viaCpu() - before.via, rest: 0 };
  cpuMs.rest = machineBusyMs() - before.machine - cpuMs.client - cpuMs.upstream - (Number.isNaN(cpuMs.via) ? 0 : cpuMs.via);
  clearInterval(sampler);
  clientDelay.disable();
  const measured: Measured = { target, label, coldPool, wave, cpuMs, clientDelayP99Ms: clientDelay.percentile(99) / 1e6 - ELD_RESOLUTION_MS };
  if (gantry !== undefined) {
    measured.delayMs = await scrapeLoopDelay(target.port);
    measured.rss = { idleKiB: median(idle), samples };
  }
  return measured;
}

const gapsOf = (waves: readonly Measured[]) => waves.flatMap((measured) => measured.wave.streams.flatMap((stream) => stream.gapsMs));
const ttftsOf = (waves: readonly Measured[]) => waves.flatMap((measured) => measured.wave.streams.flatMap((stream) => (stream.ttftMs === undefined ? [] : [stream.ttftMs])));
const failedOf = (measured: Measured) => measured.wave.streams.filter((stream) => stream.error !== undefined).length;
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** Content chunks received in the best second of a wave (the most in any ten consecutive 100 ms buckets). */
function bestSecond(chunksPer100Ms: readonly number[]): number {
  let best = 0;
  for (let start = 0; start < chunksPer100Ms.length; start++) best = Math.max(best, chunksPer100Ms.slice(start, start + 10).reduce((sum, count) => sum + count, 0));
  return best;
}

function row(measured: Measured): string {
  const { wave, cpuMs } = measured;
  const gaps = gapsOf([measured]);
  const ttfts = ttftsOf([measured]);
  const chunks = wave.streams.reduce((sum, stream) => sum + stream.contentChunks, 0);
  const share = (ms: number) => (Number.isNaN(ms) ? '–' : `${fixed(ms, 0)} (${fixed((100 * ms) / wave.elapsedMs, 0)}%)`);
  const cells = [
    measured.label,
    `${wave.streams.length - failedOf(measured)} / ${failedOf(measured)}`,
    fixed(percentile(ttfts, 50)),
    fixed(percentile(ttfts, 99)),
    fixed(percentile(gaps, 50)),
    fixed(percentile(gaps, 99)),
    fixed(gaps.reduce((max, gap) => Math.max(max, gap), Number.NEGATIVE_INFINITY)),
    fixed(bestSecond(wave.chunksPer100Ms), 0),
    fixed((1000 * chunks) / wave.elapsedMs, 0),
    share(cpuMs.client),
    share(cpuMs.upstream),
    share(cpuMs.via),
    share(cpuMs.rest),
    fixed(measured.clientDelayP99Ms),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** Failure reasons and how many streams had each. */
function errorSummary(waves: readonly Measured[]): string {
  const counts = new Map<string, number>();
  for (const measured of waves) {
    for (const stream of measured.wave.streams) {
      const reason = `${measured.label}: ${stream.error}`;
      if (stream.error !== undefined) counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
  }
  return counts.size === 0 ? 'none' : [...counts].map(([reason, count]) => `${count}× ${reason}`).join('; ');
}

const verdict = (value: number, limit: number) => (Number.isNaN(value) ? 'n/a' : value <= limit ? 'within' : 'OVER');
const signed = (value: number) => `${value >= 0 ? '+' : ''}${fixed(value, 2)}`;

interface Targets {
  direct: Target;
  floor: Target;
  gantry: Target;
}

/** Gantry's added TTFT p99 and gap p99 over the floor's, against the targets. */
function addedLine(title: string, gantry: Measured, floors: readonly Measured[]): string {
  const ttft = percentile(ttftsOf([gantry]), 99) - percentile(ttftsOf(floors), 99);
  const gap = percentile(gapsOf([gantry]), 99) - percentile(gapsOf(floors), 99);
  return `${title}: TTFT p99 ${signed(ttft)} ms (target ≤ ${TARGET.ttftMs}: ${verdict(ttft, TARGET.ttftMs)}), gap p99 ${signed(gap)} ms (target ≤ ${TARGET.gapMs}: ${verdict(gap, TARGET.gapMs)})`;
}

/**
 * RSS per open stream and event-loop delay of one Gantry wave. Open streams are those responding
 * (first bytes received, not yet ended): when Gantry falls behind, fewer than all were ever open at
 * once, so RSS is taken from the samples within 5% of the most that were. Only the cold-pool wave
 * gives a per-stream figure: it is the first of its size, and after it the heap it grew stays
 * committed for a while, so later waves fill it without raising RSS (or even lower RSS as V8
 * returns it), which would read as a few KB per stream or less than nothing.
 */
function gantryLines(gantry: Measured, streams: number): string[] {
  const { idleKiB, samples } = gantry.rss!;
  const { delayMs } = gantry;
  const most = samples.reduce((max, sample) => Math.max(max, sample.responding), 0);
  const near = samples.filter((sample) => sample.responding > 0 && sample.responding >= 0.95 * most);
  const perStream = median(near.map((sample) => (sample.kiB - idleKiB) / sample.responding));
  const peakKiB = samples.reduce((max, sample) => Math.max(max, sample.kiB), 0);
  const held = most === streams ? `all ${streams}` : `${most} of the ${streams} (Gantry fell behind: its last streams began after its first ended)`;
  const range = `RSS ${fixed(idleKiB / 1024)} MiB idle just before, at most ${fixed(peakKiB / 1024)} MiB during the wave`;
  return [
    !gantry.coldPool
      ? `  ${range}; most open at once ${held} (no per-stream figure: an earlier wave of this size left its heap behind)`
      : near.length === 0
        ? `  ${range}; RSS per open stream n/a (no sample had a stream open)`
        : `  RSS per open stream: most open at once ${held}; over the ${near.length} samples within 5% of that, median of (RSS − idle) / open = ${fixed(perStream)} KB (target ≤ ${TARGET.rssKiBPerStream}: ${verdict(perStream, TARGET.rssKiBPerStream)}); ${range}`,
    `  event-loop delay over the wave (/metrics; prom-client samples every ${ELD_RESOLUTION_MS} ms, taken off): p50 ${fixed(delayMs!.p50, 2)} ms, p99 ${fixed(delayMs!.p99, 2)} ms, max ${fixed(delayMs!.max, 2)} ms`,
  ];
}

/**
 * The waves at `streams`, each after the servers went quiet: with `coldPools`, first the floor and
 * Gantry while their upstream pools hold only the warm-up's connections (each stream opens one:
 * RSS then counts the upstream connection too), which fills the pools; then direct → floor →
 * Gantry → floor with warm pools, the comparison the targets are judged on. Prints the table.
 */
async function compare(streams: number, targets: Targets, upstream: Server, servers: readonly Server[], apiKey: string, coldPools: boolean): Promise<Measured[]> {
  const plan: [Target, string, boolean][] = [
    ...(coldPools
      ? ([
          [targets.floor, 'floor, cold pool', true],
          [targets.gantry, 'gantry, cold pool', true],
        ] as [Target, string, boolean][])
      : []),
    [targets.direct, 'direct (client → mock)', false],
    [targets.floor, 'floor (1st)', false],
    [targets.gantry, 'gantry', false],
    [targets.floor, 'floor (2nd)', false],
  ];
  const waves: Measured[] = [];
  for (const [target, label, coldPool] of plan) {
    await resetMock();
    await quiet(servers);
    waves.push(await measureWave(target, label, upstream, apiKey, streams, coldPool));
  }
  const pick = (name: string, coldPool: boolean) => waves.filter((measured) => measured.target.name === name && measured.coldPool === coldPool);
  console.log(`\n${streams} streams × ${CHUNKS} chunks ${GAP_MS} ms apart (${fixed((streams * 1000) / GAP_MS, 0)} chunks/s while all are open), started evenly over ${fixed(rampOf(streams), 0)} ms\n`);
  console.log('| via | streams ok / failed | TTFT p50 ms | TTFT p99 ms | gap p50 ms | gap p99 ms | gap max ms | chunks/s, best second | chunks/s, whole wave | CPU ms (% of a core): client | mock | floor or gantry | rest of the machine | client loop delay p99 ms |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const measured of waves) console.log(row(measured));
  console.log('(Rest of the machine: all CPUs\' busy time less these three processes\', a difference of counters, ±100 ms; much more means others used the machine during the wave.)\n');
  console.log(addedLine('Gantry − floor, warm pools (both floor waves pooled)', pick('gantry', false)[0]!, pick('floor', false)));
  if (coldPools) console.log(addedLine('Gantry − floor, cold pools', pick('gantry', true)[0]!, pick('floor', true)));
  for (const gantry of [...pick('gantry', true), ...pick('gantry', false)]) {
    console.log(`Gantry, ${gantry.coldPool ? 'cold pool (a new upstream connection per stream)' : 'warm pool (upstream connections already open)'}:`);
    for (const line of gantryLines(gantry, streams)) console.log(line);
  }
  const perStream = (measured: Measured[], pick: (cpu: Measured['cpuMs']) => number) => median(measured.map((each) => pick(each.cpuMs) / streams));
  const warm = waves.filter((measured) => !measured.coldPool);
  console.log(
    `CPU per stream, warm pools (median of the waves; a stream is ${CHUNKS} chunks plus 4 other frames): gantry ${fixed(perStream(pick('gantry', false), (cpu) => cpu.via), 2)} ms, floor ${fixed(perStream(pick('floor', false), (cpu) => cpu.via), 2)} ms, mock ${fixed(perStream(warm, (cpu) => cpu.upstream), 2)} ms, client ${fixed(perStream(warm, (cpu) => cpu.client), 2)} ms`,
  );
  console.log(`The floor exposes no event-loop delay. Failed streams: ${errorSummary(waves)}`);
  return waves;
}

/** The client, mock and floor (or whatever the waves went through) held the rate: no failed stream and a gap p99 within FLOOR_GAP_SLACK_MS of the scripted gap. */
function floorHeld(floors: readonly Measured[]): boolean {
  return floors.every((measured) => failedOf(measured) === 0) && percentile(gapsOf(floors), 99) <= GAP_MS + FLOOR_GAP_SLACK_MS;
}

/** Floor-only waves at fewer and fewer streams until the floor holds the rate; the count that held, or undefined. */
async function largestHeld(floor: Target, upstream: Server, servers: readonly Server[], apiKey: string): Promise<number | undefined> {
  for (const share of [0.75, 0.5, 0.35, 0.25, 0.1]) {
    const streams = Math.round(STREAMS * share);
    await resetMock();
    await quiet(servers);
    const measured = await measureWave(floor, 'floor', upstream, apiKey, streams);
    const { cpuMs } = measured;
    console.log(
      `  floor alone at ${streams} streams: gap p99 ${fixed(percentile(gapsOf([measured]), 99))} ms, ${failedOf(measured)} failed, CPU ms client ${fixed(cpuMs.client, 0)} / mock ${fixed(cpuMs.upstream, 0)} / floor ${fixed(cpuMs.via, 0)} / rest of the machine ${fixed(cpuMs.rest, 0)} over ${fixed(measured.wave.elapsedMs, 0)} ms`,
    );
    if (floorHeld([measured])) return streams;
  }
  return undefined;
}

/** Writes Gantry's config: the mock as its one provider, recording on. */
function gantryConfig(connections: number): string {
  const work = workDir('gantry-slow-streams-');
  // One client address holds every stream: the per-address cap (256 by default) is lifted, and the
  // provider pool (256 connections by default) gets one upstream connection per open stream.
  writeFileSync(
    join(work, 'gantry.yaml'),
    [
      'server: { max_connections_per_address: 0 }',
      'providers:',
      `  mock: { type: openai-compatible, base_url: http://127.0.0.1:${UPSTREAM_PORT}/v1, max_connections: ${connections} }`,
      'pricing:',
      `  mock/${MODEL}: { input: 0.15, output: 0.6 }`,
      `  mock/${WARM_MODEL}: { input: 0.15, output: 0.6 }`,
      'recording: { enabled: true }',
      '',
    ].join('\n'),
  );
  return work;
}

/**
 * `pnpm bench -- --streams`: the mock, the floor and Gantry started here; warm-up; the comparison
 * at BENCH_STREAMS; and, if the floor could not hold that rate, the largest count it holds and the
 * comparison there. Ports 4700–4702.
 */
export async function runSlowStreamsBench(): Promise<void> {
  const servers: Server[] = [];
  try {
    const upstream = await spawnServer(join(root, 'test/mock-provider/main.ts'), { cwd: root, env: { MOCK_PORT: String(UPSTREAM_PORT) }, ready: () => answers(`http://127.0.0.1:${UPSTREAM_PORT}/v1/models`) });
    servers.push(upstream);
    const connections = STREAMS + 64;
    const proxy = await spawnServer(join(root, 'test/bench/passthrough-proxy.ts'), {
      cwd: root,
      env: { PROXY_PORT: String(FLOOR_PORT), UPSTREAM_URL: `http://127.0.0.1:${UPSTREAM_PORT}`, PROXY_UPSTREAM_CONNECTIONS: String(connections) },
      ready: () => answers(`http://127.0.0.1:${FLOOR_PORT}/v1/models`, { method: 'POST', body: '{}' }),
    });
    servers.push(proxy);
    const env: Record<string, string> = { GANTRY_PORT: String(GANTRY_PORT), GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_LOG_LEVEL: 'warn' };
    if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
    const gantryServer = await spawnServer(builtGateway(root), { cwd: gantryConfig(connections), env, ready: () => answers(`http://127.0.0.1:${GANTRY_PORT}/readyz`) });
    servers.push(gantryServer);
    const apiKey = await limitedKey(`http://127.0.0.1:${GANTRY_PORT}`, MASTER_KEY);
    const targets: Targets = {
      direct: { name: 'direct', port: UPSTREAM_PORT, model: MODEL },
      floor: { name: 'floor', port: FLOOR_PORT, model: MODEL, server: proxy },
      gantry: { name: 'gantry', port: GANTRY_PORT, model: `mock/${MODEL}`, server: gantryServer, gantry: true },
    };
    console.log(
      `\nSlow streams — raw-socket client in the bench process, upstream the mock provider (${CHUNK_CHARS} characters a chunk, plus role, finish and usage frames), Gantry with recording on and a key under budgets and rate limits, database: ${process.env.DATABASE_URL ? 'Postgres' : 'embedded PGlite'}`,
    );
    // JIT warm-up with a fifth of the streams. Not a full-size wave: that would fill the upstream
    // pools and leave a heap grown for every stream behind, hiding part of what the cold-pool
    // wave's open streams hold; the cold-pool waves fill the pools instead.
    await resetMock();
    for (const target of Object.values(targets)) {
      for (let wave = 0; wave < WARM_WAVES; wave++) await runStreamWave(waveOptions(target, apiKey, Math.ceil(STREAMS / 5), true));
    }

    const waves = await compare(STREAMS, targets, upstream, servers, apiKey, true);
    if (!floorHeld(waves.filter((measured) => measured.target.name === 'floor' && !measured.coldPool))) {
      const direct = waves.filter((measured) => measured.target.name === 'direct');
      const alone = `${floorHeld(direct) ? 'held' : 'did not hold'} it (gap p99 ${fixed(percentile(gapsOf(direct), 99))} ms)`;
      console.log(`\nThe floor did not hold ${STREAMS} streams (gap p99 over ${GAP_MS + FLOOR_GAP_SLACK_MS} ms or a failed stream): the client, the mock or the floor saturated; the client and the mock alone ${alone}. The largest count the floor holds:`);
      const held = await largestHeld(targets.floor, upstream, servers, apiKey);
      if (held === undefined) console.log('  none of the tried counts held');
      else waves.push(...(await compare(held, targets, upstream, servers, apiKey, false)));
    }
    // Gantry's high-water mark can be set at start-up (PGlite's initialization) rather than by the streams.
    const gantryPeak = gantryServer.peakRssMiB();
    const wavePeakMiB = Math.max(...waves.flatMap((measured) => measured.rss?.samples.map((sample) => sample.kiB) ?? [0])) / 1024;
    const where = gantryPeak > wavePeakMiB + 1 ? `, reached outside the measured waves (start-up); at most ${fixed(wavePeakMiB, 0)} MiB during them` : '';
    console.log(`\nPeak RSS over each process's life (VmHWM): gantry ${fixed(gantryPeak, 0)} MiB${where}; floor ${fixed(proxy.peakRssMiB(), 0)} MiB, mock ${fixed(upstream.peakRssMiB(), 0)} MiB`);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runSlowStreamsBench();
