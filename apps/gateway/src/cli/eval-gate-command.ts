import { writeFile } from 'node:fs/promises';
import { Option, type Command, type CommanderError } from 'commander';
import type { GateThresholds } from '@gantry/evals/gate';
import { CliError, type ConnectGateway } from './admin-client.ts';
import { addApiKeyOption, addReplayRunOptions, clientFor, numberArgument, type ReplayRunOptions } from './eval-cli-options.ts';
import { GATE_EXIT, GATE_FORMATS, type GateExitCode, type GateFormat } from './gate-exit.ts';
import type { ProgressStream } from './gate-progress.ts';

/** What the gate reads, writes and ends the process with; the real process by default, fakes in tests. */
export interface GateIo {
  stdout: { write(text: string): unknown };
  /** Progress, notes and errors. */
  stderr: ProgressStream;
  /** Ends the process at once: commander's usage errors and help. */
  exit(code: number): never;
  /** The exit code once the command has finished (lets stdout drain, unlike exit). */
  setExitCode(code: number): void;
  writeFile(path: string, text: string): Promise<void>;
  /** Calls `handler` on Ctrl-C or SIGTERM until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The process's stdout, stderr, exit code, files and signals. */
export function processIo(): GateIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    exit: (code) => process.exit(code),
    setExitCode: (code) => {
      process.exitCode = code;
    },
    writeFile: (path, text) => writeFile(path, text, 'utf8'),
    onInterrupt(handler) {
      process.once('SIGINT', handler);
      process.once('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
}

/** `gantry eval gate`'s options as commander parses them. */
export interface GateOptions extends ReplayRunOptions {
  dataset: string;
  candidate: string;
  baseline: string;
  minPassRate?: number;
  maxRegression?: number;
  maxCostRatio?: number;
  maxP95LatencyRatio?: number;
  maxP95TtftRatio?: number;
  format: GateFormat;
  out?: string;
  /** In seconds. */
  timeout?: number;
}

/** The gate's thresholds from its options; unset ones stay unset (the gate's defaults apply). */
export function thresholdsOf(options: GateOptions): GateThresholds {
  return {
    ...(options.minPassRate === undefined ? {} : { minPassRate: options.minPassRate }),
    ...(options.maxRegression === undefined ? {} : { maxRegression: options.maxRegression }),
    ...(options.maxCostRatio === undefined ? {} : { maxCostRatio: options.maxCostRatio }),
    ...(options.maxP95LatencyRatio === undefined ? {} : { maxP95LatencyRatio: options.maxP95LatencyRatio }),
    ...(options.maxP95TtftRatio === undefined ? {} : { maxP95TtftRatio: options.maxP95TtftRatio }),
  };
}

/**
 * The exit code of an error that stopped the gate before it had a report: 2 for what the user
 * can fix (flags, config, an HTTP 4xx such as an unknown dataset or model, no gateway at the
 * URL), 3 for the gateway failing (HTTP 5xx) or anything unexpected — never 1, which means a
 * proven regression.
 */
export function exitCodeOfError(error: unknown): GateExitCode {
  if (!(error instanceof CliError)) return GATE_EXIT.incomplete;
  return error.status !== undefined && error.status >= 500 ? GATE_EXIT.incomplete : GATE_EXIT.usage;
}


const GATE_HELP_AFTER = `
Output:
  The report goes to stdout in --format. With --out FILE it goes to FILE in --format, and the
  text report still goes to stdout (for the CI log). Progress and errors go to stderr: a redrawn
  bar on a terminal, a plain line per second otherwise.

Exit codes:
  0  pass: every metric passed or was inconclusive
  1  regression: a metric regressed on the evidence
  2  usage or config error: bad flags, unknown dataset or model, HTTP 4xx from the gateway,
     gateway not reachable
  3  incomplete: the replay failed or was cancelled, an item is incomplete (provider errors,
     budget exhausted), --timeout was reached (the replay is then cancelled), or the gateway
     failed (HTTP 5xx); the report is still written with what was scored, and says why`;

/**
 * `gantry eval gate`: the deploy gate for CI. Its own usage errors exit 2 (commander's default
 * would be 1, which here means "regression"); the other commands keep commander's defaults.
 */
export function addEvalCommands(program: Command, connect: ConnectGateway, io: GateIo = processIo()): void {
  const evals = program
    .command('eval')
    .description('evaluate candidate models against recorded agent runs')
    .exitOverride((error: CommanderError) => io.exit(error.exitCode === 0 ? 0 : GATE_EXIT.usage))
    .configureOutput({ writeOut: (text) => void io.stdout.write(text), writeErr: (text) => void io.stderr.write(text) })
    .showHelpAfterError('(add --help for the options and exit codes)');
  const gate = evals
    .command('gate')
    .description('replay a dataset against a candidate model, compare it with a baseline, pass or fail a deploy (exit 0 pass, 1 regression, 2 usage, 3 incomplete)')
    .addHelpText('after', GATE_HELP_AFTER)
    .requiredOption('--dataset <name>', 'the dataset to replay (name or id)')
    .requiredOption('--candidate <model>', 'the model or alias that would be deployed')
    .option('--baseline <recorded|model>', 'compare with the recorded runs, or with this model replayed alongside', 'recorded');
  addReplayRunOptions(gate)
    .option('--min-pass-rate <x>', 'fail when the candidate passes fewer items than this fraction (0-1)', numberArgument(0, 1))
    .option('--max-regression <x>', 'largest drop in a quality metric tolerated (0-1; default 0.05)', numberArgument(0, 1))
    .option('--max-cost-ratio <x>', 'fail when candidate cost / baseline cost is surely above this', numberArgument(0, Number.POSITIVE_INFINITY, true))
    .option('--max-p95-latency-ratio <x>', 'fail when candidate p95 latency / baseline p95 latency is above this', numberArgument(0, Number.POSITIVE_INFINITY, true))
    .option('--max-p95-ttft-ratio <x>', 'fail when candidate p95 time to first token / baseline p95 (streamed steps) is above this', numberArgument(0, Number.POSITIVE_INFINITY, true))
    .addOption(new Option('--format <format>', 'report format').choices(GATE_FORMATS).default('text'))
    .option('--out <file>', 'write the report in --format to this file (the text report still goes to stdout)')
    .option('--timeout <seconds>', 'stop waiting after this long, cancel the replay and exit 3 (default: wait until it ends)', numberArgument(0, Number.POSITIVE_INFINITY, true));
  addApiKeyOption(gate).action(async (options: GateOptions, command: Command) => {
    try {
      // The gate's scoring and reports load only when a gate runs: the CLI starts fast for every other command.
      const { runGate } = await import('./eval-gate-run.ts');
      io.setExitCode(await runGate(clientFor(command, connect), options, io));
    } catch (error) {
      io.stderr.write(`gantry eval gate: ${error instanceof CliError ? error.message : ((error as Error).stack ?? String(error))}\n`);
      io.setExitCode(exitCodeOfError(error));
    }
  });
}
