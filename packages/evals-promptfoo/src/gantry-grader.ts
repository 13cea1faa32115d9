import { randomUUID } from 'node:crypto';
import { endRuns, evalRun, type EvalRun } from './end-runs.ts';
import { connectionFrom, type ConnectionConfig, type GantryConnection } from './gantry-connection.ts';
import { nonEmpty, type ProviderConstructorOptions } from './provider-options.ts';

/** Config of a grader reached through Gantry (`defaultTest.options.provider.text` / `.embedding`). */
export interface GraderConfig extends ConnectionConfig {
  /** The model or alias that grades (or embeds); default GANTRY_EVAL_GRADER (GANTRY_EVAL_EMBEDDER for embeddings). */
  model?: string;
  /** The suite's name in the grading run's metadata. */
  suite?: string;
  /** Longest wait for one call, in milliseconds (default 120 000 for grading, 60 000 for embeddings). */
  timeoutMs?: number;
}

/**
 * The model a grader uses: its config, else the environment variable named; throws saying how to
 * set one, so a suite that grades fails at its start rather than at every assertion.
 */
export function graderModel(config: GraderConfig, env: NodeJS.ProcessEnv, variable: string, what: string): string {
  const model = nonEmpty(config.model) ?? nonEmpty(env[variable]);
  if (model === undefined) throw new Error(`no ${what} model: set ${variable}, \`model\` in the provider config, or pass --${what === 'grading' ? 'grader' : 'embedder'} to gantry eval run`);
  return model;
}

/** The run a grader's calls are recorded in: one per grader per eval. */
export function graderRunHeaders(runId: string, role: string, suite: string): Record<string, string> {
  return {
    'x-gantry-run-id': runId,
    'x-gantry-run-name': `promptfoo ${role}`,
    'x-gantry-metadata': JSON.stringify({ suite, role }).replace(/[^\x20-\x7e]/g, '?'),
  };
}

/** What the grading and the embedding provider share: their model, connection, and the one run their calls are recorded in. */
export abstract class GantryGrader {
  readonly config: GraderConfig;
  readonly label: string | undefined;
  protected readonly providerId: string | undefined;
  protected readonly connection: GantryConnection;
  protected readonly model: string;
  private readonly runId: string;
  private readonly runs = new Map<string, EvalRun>();

  protected constructor(options: ProviderConstructorOptions<GraderConfig>, private readonly role: 'grader' | 'embedder') {
    const env = { ...process.env, ...options.env };
    this.config = options.config ?? {};
    this.label = options.label;
    this.providerId = options.id;
    this.connection = connectionFrom(this.config, env);
    this.model = role === 'grader' ? graderModel(this.config, env, 'GANTRY_EVAL_GRADER', 'grading') : graderModel(this.config, env, 'GANTRY_EVAL_EMBEDDER', 'embedding');
    this.runId = `promptfoo-${randomUUID()}-${role === 'grader' ? 'grading' : 'embedding'}`;
  }

  /** The headers of a call in this grader's run, and the run's record (marked failed when a call fails). */
  protected runOfCall(): { headers: Record<string, string>; run: EvalRun } {
    return { headers: graderRunHeaders(this.runId, this.role, this.config.suite ?? 'promptfoo'), run: evalRun(this.runs, this.runId) };
  }

  /** Ends the grader's run. */
  async cleanup(): Promise<void> {
    await endRuns(this.connection, this.runs);
  }
}
