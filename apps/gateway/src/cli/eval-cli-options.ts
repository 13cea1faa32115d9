import { InvalidArgumentError, type Command } from 'commander';
import { formatReplayMode, parseReplayMode } from '@gantry/evals/replay-mode';
import { CliError, type ConnectGateway, type GatewayClient } from './admin-client.ts';

/**
 * Options and option-value parsers shared by the dataset, replay and eval commands. Values are
 * parsed by commander (`argParser`), so a bad one is a usage error reported before any call.
 */

/** Adds `--api-key`: act as this virtual key instead of the master key. */
export function addApiKeyOption(command: Command): Command {
  return command.option('--api-key <key>', 'act as this virtual key (default GANTRY_API_KEY; without either, the master key); replays are budgeted against it');
}

/** The client for a command's action: `--url` of the program, `--api-key` of the command. */
export function clientFor(command: Command, connect: ConnectGateway): GatewayClient {
  const options = command.optsWithGlobals<{ url?: string; apiKey?: string }>();
  return connect({
    ...(options.url === undefined ? {} : { url: options.url }),
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
  });
}

/** A parser of whole numbers from `min` to `max`. */
export function integerArgument(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got '${text}'.`);
    }
    return value;
  };
}

/** A parser of finite numbers in [min, max] (`exclusiveMin`: above min). */
export function numberArgument(min: number, max = Number.POSITIVE_INFINITY, exclusiveMin = false): (text: string) => number {
  return (text) => {
    const value = Number(text);
    const low = exclusiveMin ? value <= min : value < min;
    if (text.trim() === '' || !Number.isFinite(value) || low || value > max) {
      const range = max === Number.POSITIVE_INFINITY ? `${exclusiveMin ? 'above' : 'at least'} ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`expected a number ${range}, got '${text}'.`);
    }
    return value;
  };
}

/** Parses `step`, `trajectory` or `fork:K` and gives back its canonical text form. */
export function modeArgument(text: string): string {
  const mode = parseReplayMode(text);
  if (mode === undefined) throw new InvalidArgumentError(`expected step, trajectory or fork:K (K: the step to fork at, from 0), got '${text}'.`);
  return formatReplayMode(mode);
}

/** For a repeatable option: each value appended to the list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Options every replay-starting command has. */
export interface ReplayRunOptions {
  mode: string;
  sample?: number;
  seed?: number;
  workers?: number;
}

/** Adds `--mode`, `--sample`, `--seed` and `--workers`. */
export function addReplayRunOptions(command: Command): Command {
  return command
    .option('--mode <mode>', 'step (each recorded step alone), trajectory (the candidate drives the run) or fork:K (recorded up to step K, then the candidate)', modeArgument, 'step')
    .option('--sample <n>', 'replay only this many items, chosen by --seed', integerArgument(1))
    .option('--seed <n>', 'seed of the --sample choice (same seed, same items)', integerArgument(0, 2 ** 32 - 1))
    .option('--workers <n>', 'items replayed at once (1-64; default: the gateway config)', integerArgument(1, 64));
}

/** The replay-start body fields of those options; --seed without --sample is refused. */
export function replayRunFields(options: ReplayRunOptions): Record<string, unknown> {
  if (options.seed !== undefined && options.sample === undefined) throw new CliError('--seed only applies with --sample: give --sample <n> too');
  return {
    mode: options.mode,
    ...(options.sample === undefined ? {} : { sample: options.sample, seed: options.seed ?? 0 }),
    ...(options.workers === undefined ? {} : { workers: options.workers }),
  };
}
