import type { Command } from 'commander';
import { CliError } from './admin-client.ts';

/** Options shared by the commands that set limits on a key or a team. */
export interface LimitOptions {
  rpm?: string;
  tpm?: string;
  maxParallel?: string;
  runMaxCostUsd?: string;
  runMaxCalls?: string;
  runMaxTokens?: string;
  runMaxDepth?: string;
  runMaxWallSeconds?: string;
}

export function addLimitOptions(command: Command, withParallel: boolean): Command {
  command
    .option('--rpm <n>', 'requests per minute')
    .option('--tpm <n>', 'tokens per minute')
    .option('--run-max-cost-usd <usd>', 'default max cost of a run (USD)')
    .option('--run-max-calls <n>', 'default max LLM calls of a run')
    .option('--run-max-tokens <n>', 'default max tokens of a run')
    .option('--run-max-depth <n>', 'default max sub-agent depth of a run')
    .option('--run-max-wall-seconds <s>', 'default max wall time of a run (seconds)');
  if (withParallel) command.option('--max-parallel <n>', 'requests in flight at once');
  return command;
}

/** A number option, or a CliError naming it. */
export function numberOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new CliError(`--${name}: '${text}' is not a non-negative number`);
  return value;
}

/** The `limits` object of the admin API, or undefined when no limit option was given. */
export function limitsFromOptions(options: LimitOptions): Record<string, unknown> | undefined {
  const run = {
    max_cost_usd: numberOption('run-max-cost-usd', options.runMaxCostUsd),
    max_calls: numberOption('run-max-calls', options.runMaxCalls),
    max_tokens: numberOption('run-max-tokens', options.runMaxTokens),
    max_depth: numberOption('run-max-depth', options.runMaxDepth),
    max_wall_seconds: numberOption('run-max-wall-seconds', options.runMaxWallSeconds),
  };
  const limits = {
    rpm: numberOption('rpm', options.rpm),
    tpm: numberOption('tpm', options.tpm),
    max_parallel: numberOption('max-parallel', options.maxParallel),
    run: Object.values(run).some((value) => value !== undefined) ? JSON.parse(JSON.stringify(run)) : undefined,
  };
  const cleaned = JSON.parse(JSON.stringify(limits)) as Record<string, unknown>;
  return Object.keys(cleaned).length === 0 ? undefined : cleaned;
}
