import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { ItemSummary } from '@gantry/evals';
import { CliError, type GatewayClient, type GatewayClientOptions } from '../src/cli/admin-client.ts';
import { datasetCreateBody } from '../src/cli/dataset-commands.ts';
import { addEvalCommands, exitCodeOfError, type GateIo } from '../src/cli/eval-gate-command.ts';
import { buildGateOutcome, gateFailuresOf, gateItemsOf, type GateSettings } from '../src/cli/gate-outcome.ts';
import { formatDuration, progressBarLine, progressLine, ProgressReporter, remainingMs } from '../src/cli/gate-progress.ts';
import { renderGateOutcome } from '../src/cli/gate-report-output.ts';
import { replayStartBody } from '../src/cli/replay-commands.ts';
import { parseReplayView, type ReplayView } from '../src/cli/replay-view.ts';

// ---- fixtures: replay views as GET /v1/replays/:id answers them (snake_case, summaries camelCase)

function summary(pass: boolean, overrides: Partial<ItemSummary> = {}): ItemSummary {
  return {
    pass,
    steps: 2,
    passedSteps: pass ? 2 : 1,
    failedCalls: 0,
    toolChoice: pass ? 1 : 0,
    toolArguments: 1,
    answer: null,
    costMicros: 200,
    recordedCostMicros: 300,
    latenciesMs: [100, 120],
    recordedLatenciesMs: [150, 150],
    ttftsMs: [],
    recordedTtftsMs: [],
    divergence: null,
    ...overrides,
  };
}

type ViewItem = ReplayView['items'][number];

function item(position: number, candidate: number, pass: boolean, status: ViewItem['status'] = 'scored', overrides: Partial<ItemSummary> = {}): ViewItem {
  return { position, source_run_id: `run_${position}`, candidate, status, run_id: `rr_${position}_${candidate}`, summary: summary(pass, overrides) };
}

/** A replay view of `items`, ended `succeeded` unless overridden; progress says every item ended. */
function view(items: ViewItem[], overrides: Partial<ReplayView> = {}): ReplayView {
  return {
    id: 'rp_1',
    dataset: { id: 'ds_1', name: 'checkout' },
    mode: 'step',
    candidates: ['cheap-model'],
    status: 'succeeded',
    error: null,
    created_at: '2026-12-01T00:00:00.000Z',
    ended_at: '2026-12-01T00:01:00.000Z',
    progress: { items_total: items.length, items_done: items.length, steps_done: items.length * 2, steps_total: items.length * 2, failed_calls: 0, spend_micros: 4_000 },
    totals: [],
    items,
    failed_steps: [],
    ...overrides,
  };
}

const range = (n: number) => Array.from({ length: n }, (_, index) => index);
const passing = (n = 10) => view(range(n).map((position) => item(position, 0, true)));
const failing = (n = 10) => view(range(n).map((position) => item(position, 0, false)));
const settings: GateSettings = { dataset: 'checkout', candidate: 'cheap-model', baseline: 'recorded', thresholds: {} };

// ---- a fake gateway and a fake process

interface Exchange {
  method: string;
  path: string;
  body: unknown;
}

/** A gateway answering POST /v1/replays with a running replay and each GET with the next of `polls` (an Error is thrown). */
function fakeGateway(polls: (ReplayView | Error)[], options: { start?: Error; cancel?: ReplayView } = {}) {
  const exchanges: Exchange[] = [];
  const connections: GatewayClientOptions[] = [];
  const queue = [...polls];
  const client: GatewayClient = {
    url: 'http://gateway.test',
    async call(method, path, body) {
      exchanges.push({ method, path, body });
      if (method === 'POST' && path === '/v1/replays') {
        if (options.start !== undefined) throw options.start;
        const request = body as { dataset: string; candidates: string[]; mode: string };
        return { id: 'rp_1', dataset: { id: 'ds_1', name: request.dataset }, mode: request.mode, candidates: request.candidates, status: 'running', error: null, created_at: '2026-12-01T00:00:00.000Z', ended_at: null };
      }
      if (method === 'POST' && path === '/v1/replays/rp_1/cancel' && options.cancel !== undefined) return options.cancel;
      if (method === 'GET' && path === '/v1/replays/rp_1') {
        const next = queue.length > 1 ? queue.shift() : queue[0];
        if (next === undefined) throw new Error('the test gave no replay views');
        if (next instanceof Error) throw next;
        return next;
      }
      throw new CliError(`${method} ${path} failed with HTTP 404: not in this fake`, { status: 404 });
    },
    sendText: async () => {
      throw new Error('not used by the gate');
    },
    download: async () => {
      throw new Error('not used by the gate');
    },
  };
  return { exchanges, connections, connect: (connection: GatewayClientOptions) => (connections.push(connection), client) };
}

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** A process whose clock moves only when the gate sleeps. */
function fakeIo() {
  const out = { stdout: '', stderr: '', exitCode: undefined as number | undefined, files: new Map<string, string>(), clock: 1_000_000, interrupt: undefined as (() => void) | undefined };
  const io: GateIo = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text), isTTY: false },
    exit: (code) => {
      throw new ExitCalled(code);
    },
    setExitCode: (code) => {
      out.exitCode = code;
    },
    writeFile: async (path, text) => void out.files.set(path, text),
    onInterrupt: (handler) => {
      out.interrupt = handler;
      return () => (out.interrupt = undefined);
    },
    now: () => out.clock,
    sleep: async (ms) => void (out.clock += ms),
  };
  return { io, out };
}

/** Runs `gantry <args>` with the eval commands on a fake gateway; resolves with the exit code (set or exited with). */
async function gantry(args: string[], gateway: ReturnType<typeof fakeGateway>, process = fakeIo()): Promise<{ code: number | undefined; out: ReturnType<typeof fakeIo>['out'] }> {
  const program = new Command('gantry').option('--url <url>', 'gateway URL');
  addEvalCommands(program, gateway.connect, process.io);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: process.out.exitCode, out: process.out };
  } catch (error) {
    if (error instanceof ExitCalled) return { code: error.code, out: process.out };
    throw error;
  }
}

const gate = (...extra: string[]) => ['eval', 'gate', '--dataset', 'checkout', '--candidate', 'cheap-model', ...extra];

describe('gantry eval gate: options', () => {
  it('starts one replay with the candidate, mode, sample, seed and workers given, as the key given', async () => {
    const gateway = fakeGateway([passing()]);
    const args = ['--url', 'http://ci.example:4000', ...gate('--mode', 'fork:2', '--sample', '5', '--seed', '7', '--workers', '3', '--api-key', 'gk_team')];
    const { code } = await gantry(args, gateway);
    expect(code).toBe(0);
    expect(gateway.connections).toEqual([{ url: 'http://ci.example:4000', apiKey: 'gk_team' }]);
    expect(gateway.exchanges[0]).toEqual({ method: 'POST', path: '/v1/replays', body: { dataset: 'checkout', candidates: ['cheap-model'], mode: 'fork:2', sample: 5, seed: 7, workers: 3 } });
  });

  it('replays a model baseline as the second candidate', async () => {
    const gateway = fakeGateway([view(range(4).flatMap((position) => [item(position, 0, true), item(position, 1, true)]))]);
    await gantry(gate('--baseline', 'openai/gpt-4o'), gateway);
    expect(gateway.exchanges[0]?.body).toMatchObject({ candidates: ['cheap-model', 'openai/gpt-4o'], mode: 'step' });
  });

  it.each([
    ['a missing --candidate', ['eval', 'gate', '--dataset', 'checkout'], /required option '--candidate <model>'/],
    ['a pass rate above 1', gate('--min-pass-rate', '1.5'), /--min-pass-rate <x>' argument '1.5' is invalid/],
    ['a zero cost ratio', gate('--max-cost-ratio', '0'), /expected a number above 0/],
    ['an unknown mode', gate('--mode', 'fork'), /expected step, trajectory or fork:K/],
    ['an unknown format', gate('--format', 'xml'), /Allowed choices are text, json, junit/],
    ['an unknown option', gate('--max-regresion', '0.1'), /unknown option '--max-regresion'/],
    ['a fractional --workers', gate('--workers', '2.5'), /expected a whole number from 1 to 64/],
    ['a --timeout of 0', gate('--timeout', '0'), /expected a number above 0/],
    ['an unknown subcommand', ['eval', 'gates'], /unknown command 'gates'/],
  ])('exits 2 on %s, before calling the gateway', async (_, args, message) => {
    const gateway = fakeGateway([passing()]);
    const { code, out } = await gantry(args, gateway);
    expect(code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(gateway.exchanges).toEqual([]);
  });

  it('exits 2 on --seed without --sample', async () => {
    const gateway = fakeGateway([passing()]);
    const { code, out } = await gantry(gate('--seed', '3'), gateway);
    expect(code).toBe(2);
    expect(out.stderr).toContain('--seed only applies with --sample');
    expect(gateway.exchanges).toEqual([]);
  });

  it('exits 0 on --help, listing the exit codes', async () => {
    const { code, out } = await gantry(['eval', 'gate', '--help'], fakeGateway([]));
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/^ {2}3 {2}incomplete: the replay failed or was cancelled/m);
  });
});

describe('gantry eval gate: exit codes', () => {
  it('exits 0 and prints the text report when nothing regressed', async () => {
    const { code, out } = await gantry(gate(), fakeGateway([passing()]));
    expect(code).toBe(0);
    expect(out.stdout).toContain('gantry eval gate: dataset checkout, candidate cheap-model vs baseline recorded');
    expect(out.stdout.trimEnd().split('\n').at(-1)).toMatch(/^PASS/);
  });

  it('exits 1 on a regression', async () => {
    const { code, out } = await gantry(gate(), fakeGateway([failing()]));
    expect(code).toBe(1);
    expect(out.stdout).toMatch(/^FAIL \(regression in passRate, toolChoice\)$/m);
  });

  it('exits 1 when a threshold is crossed that the defaults would pass', async () => {
    const expensive = view(range(10).map((position) => item(position, 0, true, 'scored', { costMicros: 900 })));
    expect((await gantry(gate(), fakeGateway([expensive]))).code).toBe(0);
    expect((await gantry(gate('--max-cost-ratio', '2'), fakeGateway([expensive]))).code).toBe(1);
  });

  it('exits 3 when an item is incomplete, even though what was scored passed, and says why', async () => {
    const items = [...range(9).map((position) => item(position, 0, true)), item(9, 0, false, 'incomplete', { failedCalls: 1 })];
    const failedStep = { position: 9, candidate: 0, source_run_id: 'run_9', step: 1, run_id: 'rr_9_0', differences: ['the call failed: budget_exceeded: budget exceeded for key k_1'] };
    const { code, out } = await gantry(gate(), fakeGateway([view(items, { failed_steps: [failedStep] })]));
    expect(code).toBe(3);
    expect(out.stdout).toContain('INCOMPLETE (exit 3)');
    expect(out.stdout).toContain('1 item is incomplete (calls failed: budget_exceeded); they are left out of the verdict');
  });

  it('exits 3 when the replay failed', async () => {
    const started = view([], { status: 'running', progress: { items_total: 3, items_done: 0, steps_done: 0, steps_total: 6, failed_calls: 0, spend_micros: 0 } });
    const { code, out } = await gantry(gate(), fakeGateway([started, view([], { status: 'failed', error: 'database unavailable', progress: { items_total: 3, items_done: 0, steps_done: 0, steps_total: 6, failed_calls: 0, spend_micros: 0 } })]));
    expect(code).toBe(3);
    expect(out.stdout).toContain('the replay failed: database unavailable');
  });

  it('exits 3 at --timeout, cancels the replay and reports what was scored', async () => {
    const running = view([item(0, 0, true), item(1, 0, true)], { status: 'running', progress: { items_total: 10, items_done: 2, steps_done: 4, steps_total: 20, failed_calls: 0, spend_micros: 400 } });
    const cancelled = { ...running, status: 'cancelled' as const, error: 'cancelled by request' };
    const gateway = fakeGateway([running], { cancel: cancelled });
    const { code, out } = await gantry(gate('--timeout', '5', '--format', 'json', '--out', 'gate.json'), gateway);
    expect(code).toBe(3);
    expect(gateway.exchanges.filter((exchange) => exchange.path === '/v1/replays/rp_1/cancel')).toHaveLength(1);
    const report = JSON.parse(out.files.get('gate.json') ?? '{}') as { result: string; incomplete: string[]; items: number };
    expect(report).toMatchObject({ result: 'incomplete', items: 2 });
    expect(report.incomplete).toEqual(['--timeout 5s reached; the replay rp_1 was cancelled', '8 of 10 item replays did not end (only 2 did)']);
    // The text report still goes to stdout with --out.
    expect(out.stdout).toContain('INCOMPLETE (exit 3)');
  });

  it('exits 3 on Ctrl-C, cancelling the replay', async () => {
    const process = fakeIo();
    const running = view([], { status: 'running', progress: { items_total: 10, items_done: 0, steps_done: 0, steps_total: 20, failed_calls: 0, spend_micros: 0 } });
    const gateway = fakeGateway([running], { cancel: { ...running, status: 'cancelled' } });
    const sleep = process.io.sleep!;
    process.io.sleep = async (ms, signal) => {
      process.out.interrupt?.();
      await sleep(ms, signal);
    };
    const { code, out } = await gantry(gate(), gateway, process);
    expect(code).toBe(3);
    expect(out.stdout).toContain('interrupted; the replay rp_1 was cancelled');
    expect(out.interrupt).toBeUndefined();
  });

  it('waits out a gateway restart: failed polls in a row below the limit do not end the gate', async () => {
    const down = new CliError('cannot reach the gateway', { unreachable: true });
    const unavailable = new CliError('GET /v1/replays/rp_1 failed with HTTP 503: restarting', { status: 503 });
    const { code } = await gantry(gate(), fakeGateway([down, unavailable, down, passing()]));
    expect(code).toBe(0);
  });

  it('exits 3 when the gateway stops answering the polls', async () => {
    const down = new CliError('cannot reach the gateway', { unreachable: true });
    const { code, out } = await gantry(gate(), fakeGateway([down]));
    expect(code).toBe(3);
    expect(out.stdout).toContain('lost contact with the gateway (cannot reach the gateway); the replay may still be running: gantry replay show rp_1');
  });

  it.each([
    ['an unknown dataset (HTTP 404)', 2, new CliError('invalid replay: dataset: no dataset', { status: 404 })],
    ['an unknown model (HTTP 400)', 2, new CliError('invalid replay: candidates[0]: unknown model', { status: 400 })],
    ['no gateway at the URL', 2, new CliError('cannot reach the gateway', { unreachable: true })],
    ['a gateway error (HTTP 500)', 3, new CliError('internal error', { status: 500 })],
  ])('maps %s when starting the replay to exit %i, writing no report', async (_, expected, error) => {
    const { code, out } = await gantry(gate(), fakeGateway([], { start: error }));
    expect(code).toBe(expected);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`gantry eval gate: ${error.message}`);
  });

  it('never maps an unexpected error to 1 (regression)', () => {
    expect(exitCodeOfError(new TypeError('bug'))).toBe(3);
    expect(exitCodeOfError(new CliError('no master key'))).toBe(2);
  });
});

describe('gate report from a replay view', () => {
  it('parses the view the replays route sends and maps its items and failing steps', () => {
    const json = JSON.parse(JSON.stringify(view([item(0, 0, true), item(0, 1, false)], { failed_steps: [{ position: 0, candidate: 1, source_run_id: null, step: 1, run_id: 'rr_0_1', differences: ['x'] }] })));
    const parsed = parseReplayView(json);
    expect(gateItemsOf(parsed)).toEqual([
      { position: 0, candidate: 0, status: 'scored', summary: summary(true) },
      { position: 0, candidate: 1, status: 'scored', summary: summary(false) },
    ]);
    expect(gateFailuresOf(parsed, 0)).toEqual([]);
    expect(gateFailuresOf(parsed, 1)).toEqual([{ item: 'position 0', step: 1, runId: 'rr_0_1', differences: ['x'] }]);
  });

  it('refuses a view of another shape, naming the field', () => {
    const broken = { ...view([item(0, 0, true)]), items: [{ position: 0, candidate: 0, status: 'scored' }] };
    expect(() => parseReplayView(broken)).toThrow(/items\.0\.source_run_id/);
  });

  it('compares candidate 0 with the recorded runs, pairing only ended items', () => {
    const items = [...range(5).map((position) => item(position, 0, true)), item(5, 0, false, 'incomplete')];
    const outcome = buildGateOutcome(view(items), settings, undefined, new Date('2026-12-01T00:02:00Z'));
    expect(outcome.report).toMatchObject({ dataset: 'checkout', candidate: 'cheap-model', baseline: 'recorded', mode: { kind: 'step' }, items: 5, steps: 10, generatedAt: '2026-12-01T00:02:00.000Z' });
    expect(outcome.report.rows.find((row) => row.metric === 'cost')).toMatchObject({ baseline: 300, candidate: 200 });
    expect(outcome.exitCode).toBe(3);
  });

  it('compares with candidate 1 when the baseline is a model, on the items both ended', () => {
    const items = [item(0, 0, false), item(0, 1, false), item(1, 0, true), item(1, 1, true), item(2, 0, true)];
    const outcome = buildGateOutcome(view(items, { candidates: ['cheap-model', 'big-model'] }), { ...settings, baseline: 'big-model' });
    expect(outcome.report.items).toBe(2);
    expect(outcome.report.rows.find((row) => row.metric === 'passRate')).toMatchObject({ baseline: 0.5, candidate: 0.5 });
  });

  it('lists the failing steps of candidate 0 by source run', () => {
    const failedSteps = [
      { position: 0, candidate: 0, source_run_id: 'run_0', step: 1, run_id: 'sub_1', differences: ['tool choice: recorded [a], candidate [b]'] },
      { position: 0, candidate: 1, source_run_id: 'run_0', step: 1, run_id: 'sub_2', differences: ['other candidate'] },
    ];
    const outcome = buildGateOutcome(view([item(0, 0, false)], { failed_steps: failedSteps }), settings);
    expect(outcome.report.failures).toEqual([{ item: 'run_0', step: 1, runId: 'sub_1', differences: ['tool choice: recorded [a], candidate [b]'] }]);
    expect(renderGateOutcome(outcome, 'text')).toContain('item run_0 step 1 (run sub_1): tool choice: recorded [a], candidate [b]');
  });

  it('adds an erroring `complete` testcase to the JUnit report of an incomplete replay', () => {
    const outcome = buildGateOutcome(view([item(0, 0, true), item(1, 0, true)], { status: 'cancelled', error: 'cancelled by <ops>' }), settings);
    const xml = renderGateOutcome(outcome, 'junit');
    expect(xml.match(/<testsuites? [^>]*tests="8" failures="0" errors="1"/g)).toHaveLength(2);
    expect(xml).toContain('<testcase classname="gantry.eval.gate" name="complete">');
    expect(xml).toContain('message="incomplete: the replay was cancelled: cancelled by &lt;ops&gt;"');
    expect(xml.indexOf('name="complete"')).toBeLessThan(xml.indexOf('<system-out>'));
  });

  it('marks the JSON report of a complete replay with its result and no reasons', () => {
    const parsed = JSON.parse(renderGateOutcome(buildGateOutcome(failing(), settings), 'json')) as { result: string; incomplete: string[]; exitCode: number };
    expect(parsed).toMatchObject({ result: 'regression', incomplete: [], exitCode: 1 });
  });
});

describe('gate progress', () => {
  const running = (done: number, steps: number) =>
    view([], { status: 'running', progress: { items_total: 40, items_done: done, steps_done: steps, steps_total: 200, failed_calls: 2, spend_micros: 12_300 } });

  it('estimates the time left from the rate so far, by the further of items and steps', () => {
    expect(remainingMs(running(0, 0).progress, 10_000)).toBeUndefined();
    expect(remainingMs(running(10, 20).progress, 10_000)).toBe(30_000);
    expect(remainingMs(running(4, 100).progress, 10_000)).toBe(10_000);
    expect([formatDuration(45_000), formatDuration(185_000), formatDuration(3_725_000)]).toEqual(['45s', '3m05s', '1h02m']);
  });

  it('renders the items, failed calls, spend and ETA as a line and as a bar', () => {
    expect(progressLine(running(10, 50), 60_000)).toBe('replay rp_1 running: 10/40 items, 50/200 steps, 2 failed calls, $0.012300 spent, 1m00s elapsed, ETA 3m00s');
    expect(progressBarLine(running(10, 50), 60_000)).toBe('[#####---------------]  25% 10/40 items, 50/200 steps, 2 failed calls, $0.012300 spent, 1m00s elapsed, ETA 3m00s');
    expect(progressLine(running(0, 0), 500)).toContain('ETA --');
  });

  it('writes a plain line at most once a second when stderr is not a terminal', () => {
    let now = 0;
    const lines: string[] = [];
    const reporter = new ProgressReporter({ write: (text: string) => lines.push(text), isTTY: false }, 0, () => now);
    for (const at of [0, 500, 999, 1_000, 1_500, 2_100]) {
      now = at;
      reporter.update(running(at / 100, at / 50));
    }
    expect(lines.map((line) => line.split(':')[1]?.split(',')[0])).toEqual([' 0/40 items', ' 10/40 items', ' 21/40 items']);
    const ended = view([], { progress: running(40, 200).progress });
    now = 5_000;
    reporter.update(ended);
    reporter.finish(ended);
    expect(lines).toHaveLength(4);
    expect(lines.at(-1)).toMatch(/^replay rp_1 succeeded: 40\/40 items, .* ETA 0s\n$/);
  });

  it('redraws one line on a terminal, cut to its width, and ends it when done', () => {
    const writes: string[] = [];
    const reporter = new ProgressReporter({ write: (text: string) => writes.push(text), isTTY: true, columns: 40 }, 0, () => 1_000);
    reporter.update(running(1, 2));
    reporter.update(running(2, 4));
    expect(writes).toHaveLength(2);
    for (const write of writes) {
      expect(write).toMatch(/^\r\[.*\u001b\[K$/);
      expect(write.replace(/^\r|\u001b\[K$/g, '')).toHaveLength(39);
    }
    reporter.finish(undefined);
    expect(writes.at(-1)).toBe('\n');
  });
});

describe('dataset and replay options', () => {
  it('turns dataset create options into the API body: spans to ISO dates, USD to micro-dollars, ids split', () => {
    const now = Date.parse('2026-12-31T00:00:00Z');
    const body = datasetCreateBody({ name: 'checkout', runName: 'checkout-agent', status: 'succeeded', since: '30d', until: '2026-12-30T00:00:00Z', runIds: 'r_1, r_2,,', minCostUsd: 0.0015, sample: 50 }, now);
    expect(body).toEqual({
      name: 'checkout',
      runs: { name: 'checkout-agent', status: 'succeeded', from: '2026-12-01T00:00:00.000Z', to: '2026-12-30T00:00:00Z', ids: ['r_1', 'r_2'], min_cost_micros: 1500 },
      sample: 50,
      seed: 0,
    });
    expect(() => datasetCreateBody({ name: 'checkout', seed: 3 })).toThrow(/--seed only applies with --sample/);
  });

  it('turns replay start options into the API body, every candidate in order', () => {
    expect(replayStartBody({ dataset: 'checkout', candidate: ['a', 'b'], mode: 'trajectory', workers: 4 })).toEqual({ dataset: 'checkout', candidates: ['a', 'b'], mode: 'trajectory', workers: 4 });
  });
});
