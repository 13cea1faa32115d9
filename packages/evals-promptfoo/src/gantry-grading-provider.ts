import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { actionOf } from '@gantry/evals';
import type { ApiProvider, CallApiContextParams, CallApiOptionsParams, ProviderResponse } from 'promptfoo';
import { endRuns, evalRun, type EvalRun } from './end-runs.ts';
import { connectionFrom, statusOf, type ConnectionConfig, type GantryConnection } from './gantry-connection.ts';
import { deadline, failedResponse, postChatCompletion, tokenUsageOf } from './post-chat-completion.ts';
import { nonEmpty, type ProviderConstructorOptions } from './provider-options.ts';

/** Config of a grader reached through Gantry (`defaultTest.options.provider.text` / `.embedding`). */
export interface GraderConfig extends ConnectionConfig {
  /** The model or alias that grades (or embeds); default GANTRY_EVAL_GRADER (GANTRY_EVAL_EMBEDDER for embeddings). */
  model?: string;
  /** The suite's name in the grading run's metadata. */
  suite?: string;
  /** Longest wait for one call, in milliseconds (default 120 000). */
  timeoutMs?: number;
}

/** A rendered grading prompt that is a chat (promptfoo's rubric prompts are JSON message lists). */
const chatPrompt = z
  .array(z.looseObject({ role: z.enum(['system', 'developer', 'user', 'assistant']), content: z.union([z.string(), z.array(z.unknown())]) }))
  .min(1);

const DEFAULT_TIMEOUT_MS = 120_000;

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

/**
 * promptfoo's grading provider for `llm-rubric` (and the other model-graded assertions), answered
 * by a model behind Gantry: the rendered rubric prompt (a JSON list of chat messages, or plain
 * text) goes to `/v1/chat/completions` on the configured model, and the answer's text comes back
 * for promptfoo to read its verdict from. Its calls are recorded in one run per eval.
 */
export class GantryGradingProvider implements ApiProvider {
  readonly config: GraderConfig;
  readonly label: string | undefined;
  private readonly providerId: string | undefined;
  private readonly connection: GantryConnection;
  private readonly model: string;
  private readonly runId = `promptfoo-${randomUUID()}-grading`;
  private readonly runs = new Map<string, EvalRun>();

  constructor(options: ProviderConstructorOptions<GraderConfig> = {}) {
    const env = { ...process.env, ...options.env };
    this.config = options.config ?? {};
    this.label = options.label;
    this.providerId = options.id;
    this.connection = connectionFrom(this.config, env);
    this.model = graderModel(this.config, env, 'GANTRY_EVAL_GRADER', 'grading');
  }

  id(): string {
    return this.providerId ?? `gantry-grader:${this.model}`;
  }

  async callApi(prompt: string, _context?: CallApiContextParams, options?: CallApiOptionsParams): Promise<ProviderResponse> {
    const body = { model: this.model, messages: messagesOf(prompt), temperature: 0 };
    const headers = graderRunHeaders(this.runId, 'grader', this.config.suite ?? 'promptfoo');
    const run = evalRun(this.runs, this.runId);
    try {
      const posted = await postChatCompletion(this.connection, body, headers, deadline(this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS, options?.abortSignal));
      const tokenUsage = tokenUsageOf(posted.result);
      return { output: actionOf(posted.result).text, latencyMs: posted.latencyMs, ...(tokenUsage === undefined ? {} : { tokenUsage }) };
    } catch (error) {
      run.failed = true;
      return failedResponse(`grading through Gantry on ${this.model}: ${(error as Error).message}`, statusOf(error));
    }
  }

  /** Ends the grading run. */
  async cleanup(): Promise<void> {
    await endRuns(this.connection, this.runs);
  }
}

/** The prompt as chat messages: the JSON message list promptfoo renders, else one user message. */
function messagesOf(prompt: string): unknown[] {
  try {
    const parsed = chatPrompt.safeParse(JSON.parse(prompt));
    if (parsed.success) return parsed.data;
  } catch {
    // Plain text, not JSON.
  }
  return [{ role: 'user', content: prompt }];
}
