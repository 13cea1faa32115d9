import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command, type CommanderError } from 'commander';
import type { SuiteOutcome } from '@gantry/evals-promptfoo';
import { CliError, type ConnectGateway } from './admin-client.ts';
import { addApiKeyOption, integerArgument } from './eval-cli-options.ts';
import { processIo, type GateIo } from './eval-gate-command.ts';

/** `gantry eval run`'s exit codes: its contract with CI. */
export const EVAL_RUN_EXIT = {
  /** Every test passed. */
  pass: 0,
  /** Some assertion failed. */
  failed: 1,
  /** Bad flags or suite, unknown dataset, an HTTP 4xx from the gateway, no gateway at the URL. */
  usage: 2,
  /** A test got no answer (the replayed call failed), or the gateway failed (HTTP 5xx). */
  incomplete: 3,
} as const;

const FORMATS = ['text', 'json'] as const;

/** `gantry eval run`'s options as commander parses them. */
export interface EvalRunOptions {
  suite: string;
  dataset: string;
  candidate: string;
  grader?: string;
  embedder?: string;
  format: (typeof FORMATS)[number];
  out?: string;
  concurrency?: number;
}

/** The gateway URL and key the suite's calls use: --url and --api-key, else the environment, else the stored master key. */
export function evalCredentials(command: Command, connect: ConnectGateway, env: NodeJS.ProcessEnv = process.env): { url: string; apiKey: string } {
  const options = command.optsWithGlobals<{ url?: string; apiKey?: string }>();
  const apiKey = options.apiKey ?? nonEmpty(env.GANTRY_API_KEY) ?? nonEmpty(env.GANTRY_MASTER_KEY) ?? storedMasterKey(env);
  // The client resolves the URL as every command does (--url, GANTRY_URL, GANTRY_HOST/PORT).
  const { url } = connect({ ...(options.url === undefined ? {} : { url: options.url }), apiKey, env });
  return { url, apiKey };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The master key `pnpm start` stored in the data folder. */
function storedMasterKey(env: NodeJS.ProcessEnv): string {
  const path = join(resolve(env.GANTRY_DATA_DIR ?? '.gantry'), 'master-key');
  if (!existsSync(path)) throw new CliError(`no key: pass --api-key, set GANTRY_API_KEY or GANTRY_MASTER_KEY, or run from the folder where \`pnpm start\` created ${path}`);
  return readFileSync(path, 'utf8').trim();
}

/** Progress on stderr, one line per tenth of the tests done. */
function progressReporter(io: GateIo): (done: number, total: number) => void {
  let shown = -1;
  return (done, total) => {
    const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (tenth === shown) return;
    shown = tenth;
    io.stderr.write(`gantry eval run: ${done}/${total} tests done\n`);
  };
}

/**
 * The exit code of an error that stopped the run before it had results: 2 for what the user can
 * fix (flags, suite, an HTTP 4xx such as an unknown dataset, no gateway at the URL), 3 for the
 * gateway failing (HTTP 5xx) or anything unexpected.
 */
export function exitCodeOfRunError(error: unknown, isSuiteError: (error: unknown) => boolean): number {
  if (error instanceof CliError || isSuiteError(error)) return EVAL_RUN_EXIT.usage;
  const status = (error as { status?: unknown } | null)?.status;
  if ((error as Error | null)?.name === 'GantryCallError') return typeof status === 'number' && status >= 500 ? EVAL_RUN_EXIT.incomplete : EVAL_RUN_EXIT.usage;
  return EVAL_RUN_EXIT.incomplete;
}

/**
 * Runs the suite with promptfoo through the gateway: `@gantry/evals-promptfoo` (and promptfoo)
 * are imported only here, when the command runs. The process may reach only the gateway and
 * loopback from then on. Returns the exit code.
 */
export async function runEvalSuite(command: Command, connect: ConnectGateway, options: EvalRunOptions, io: GateIo): Promise<number> {
  let isSuiteError = (_error: unknown) => false;
  try {
    const { url, apiKey } = evalCredentials(command, connect);
    const evals = await import('@gantry/evals-promptfoo').catch((error: unknown) => {
      throw new CliError(`cannot load the eval runner @gantry/evals-promptfoo (${(error as Error).message}); install it with \`pnpm install\``);
    });
    isSuiteError = (error) => error instanceof evals.SuiteError;
    // Held until the process exits: promptfoo's last calls outlive the eval.
    evals.guardEgress([evals.hostOf(url)]);
    const outcome: SuiteOutcome = await evals.runSuite({
      suitePath: options.suite,
      gatewayUrl: url,
      apiKey,
      dataset: options.dataset,
      candidate: options.candidate,
      ...(options.grader === undefined ? {} : { grader: options.grader }),
      ...(options.embedder === undefined ? {} : { embedder: options.embedder }),
      ...(options.concurrency === undefined ? {} : { maxConcurrency: options.concurrency }),
      onProgress: progressReporter(io),
    });
    const exitCode = evals.suiteExitCode(outcome);
    const report = (format: EvalRunOptions['format']) => (format === 'json' ? `${JSON.stringify({ ...outcome, exitCode }, null, 2)}\n` : evals.renderSuiteText(outcome, exitCode));
    io.stdout.write(report(options.out === undefined ? options.format : 'text'));
    if (options.out !== undefined) {
      await io.writeFile(options.out, report(options.format)).catch((error: unknown) => {
        throw new CliError(`cannot write the report to ${options.out}: ${(error as Error).message}`);
      });
      io.stderr.write(`gantry eval run: ${options.format} report written to ${options.out}\n`);
    }
    return exitCode;
  } catch (error) {
    const message = error instanceof CliError || isSuiteError(error) || (error as Error | null)?.name === 'GantryCallError' ? (error as Error).message : ((error as Error).stack ?? String(error));
    io.stderr.write(`gantry eval run: ${message}\n`);
    return exitCodeOfRunError(error, isSuiteError);
  }
}

const RUN_HELP_AFTER = `
The suite is a promptfoo config (see evals/README.md). Its dataset tests become one test per
recorded step of --dataset, replayed on --candidate through the gateway; llm-rubric is graded
by --grader and similar embeds with --embedder, both through the gateway. Nothing else is
called: promptfoo's telemetry, update check, sharing and remote generation are off, and the
process reaches only the gateway and this machine.

Exit codes:
  0  every test passed
  1  some assertion failed
  2  usage error: bad flags or suite, unknown dataset, HTTP 4xx, gateway not reachable
  3  incomplete: a test got no answer (the replayed call failed), or HTTP 5xx`;

/** The `eval` command group: the one `gantry eval gate` made, or a new one when it is not there. */
function evalGroup(program: Command, io: GateIo): Command {
  const existing = program.commands.find((command) => command.name() === 'eval');
  if (existing !== undefined) return existing;
  return program
    .command('eval')
    .description('evaluate candidate models against recorded agent runs')
    .exitOverride((error: CommanderError) => io.exit(error.exitCode === 0 ? 0 : EVAL_RUN_EXIT.usage))
    .configureOutput({ writeOut: (text) => void io.stdout.write(text), writeErr: (text) => void io.stderr.write(text) });
}

/** `gantry eval run`: a promptfoo suite against recorded runs, through the gateway. */
export function addEvalRunCommand(program: Command, connect: ConnectGateway, io: GateIo = processIo()): void {
  const run = evalGroup(program, io)
    .command('run')
    .description('run a promptfoo suite on a dataset\'s recorded steps replayed on a candidate (exit 0 pass, 1 fail, 2 usage, 3 incomplete)')
    .addHelpText('after', RUN_HELP_AFTER)
    .requiredOption('--suite <file>', 'the promptfoo suite (YAML), e.g. evals/research-agent.yaml')
    .requiredOption('--dataset <name>', 'the dataset whose recorded steps are replayed')
    .requiredOption('--candidate <model>', 'the model or alias the steps are replayed on')
    .option('--grader <model>', 'the model that grades llm-rubric assertions (default GANTRY_EVAL_GRADER)')
    .option('--embedder <model>', 'the embedding model behind similar assertions (default GANTRY_EVAL_EMBEDDER)')
    .addOption(new Option('--format <format>', 'report format').choices(FORMATS).default('text'))
    .option('--out <file>', 'write the report in --format to this file (the text report still goes to stdout)')
    .option('--concurrency <n>', 'tests run at once (default 4)', integerArgument(1, 64));
  addApiKeyOption(run).action(async (options: EvalRunOptions, command: Command) => {
    io.setExitCode(await runEvalSuite(command, connect, options, io));
  });
}
