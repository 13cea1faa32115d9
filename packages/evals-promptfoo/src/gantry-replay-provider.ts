import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { encodeOpenAIChatRequest } from '@gantry/formats';
import type { ChatRequest, ChatResult } from '@gantry/spec';
import type { ApiProvider, CallApiContextParams, CallApiOptionsParams, ProviderResponse } from 'promptfoo';
import { answerOutput } from './answer-output.ts';
import { endRuns, evalRun, type EvalRun } from './end-runs.ts';
import { connectionFrom, statusOf, type ConnectionConfig, type GantryConnection } from './gantry-connection.ts';
import { deadline, failedResponse, postChatCompletion, tokenUsageOf, type PostedChat } from './post-chat-completion.ts';
import { nonEmpty, type ProviderConstructorOptions } from './provider-options.ts';
import { replayHeaders, replayRunId, type ReplayRunLabels } from './replay-run-headers.ts';

/** `providers[].config` of the replay provider in a suite file (all optional there: env fills in). */
export interface ReplayProviderConfig extends ConnectionConfig {
  /** The model or alias replayed on; default GANTRY_EVAL_CANDIDATE. A test's `candidate` var wins. */
  candidate?: string;
  /** The suite's name in the replayed runs' metadata (default `promptfoo`). */
  suite?: string;
  /** Longest wait for one replayed call, in milliseconds (default 120 000). */
  timeoutMs?: number;
}

/** What the response's metadata tells assertions about a replayed step. */
export interface ReplayResponseMetadata {
  /** The candidate's answer, for the step assertions (`stepAgrees` and friends). */
  candidateResult: ChatResult;
  /** Where Gantry recorded the call. */
  gantry: PostedChat['gantry'];
}

const stepVar = z.looseObject({
  model: z.string(),
  messages: z.array(z.looseObject({ role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']), content: z.unknown() })).min(1),
});

const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * A promptfoo provider that replays recorded steps through Gantry: for a test whose vars hold a
 * dataset step (`step`, the canonical request), it sends the step's exact context to the
 * candidate over OpenAI chat completions — every step of an item in one Gantry run, labelled with
 * the suite, dataset and source run — and returns the candidate's answer (text, or its tool
 * calls as JSON) with its token usage. Gantry does not report a call's cost in its response, so
 * `cost` is left unset; the runs' costs are in Gantry (`GET /v1/runs/:id`).
 */
export class GantryReplayProvider implements ApiProvider {
  readonly config: ReplayProviderConfig;
  readonly label: string | undefined;
  private readonly providerId: string | undefined;
  private readonly connection: GantryConnection;
  private readonly candidate: string | undefined;
  /** This eval's runs, with whether a step in them failed: they are ended by `cleanup`. */
  private readonly runs = new Map<string, EvalRun>();
  private readonly session = randomUUID().replaceAll('-', '').slice(0, 12);

  constructor(options: ProviderConstructorOptions<ReplayProviderConfig> = {}) {
    const env = { ...process.env, ...options.env };
    this.config = options.config ?? {};
    this.label = options.label;
    this.providerId = options.id;
    this.connection = connectionFrom(this.config, env);
    this.candidate = this.config.candidate ?? nonEmpty(env.GANTRY_EVAL_CANDIDATE);
  }

  id(): string {
    return this.providerId ?? `gantry-replay:${this.candidate ?? 'candidate'}`;
  }

  async callApi(_prompt: string, context?: CallApiContextParams, options?: CallApiOptionsParams): Promise<ProviderResponse> {
    const vars = context?.vars ?? {};
    const parsed = stepVar.safeParse(vars.step);
    if (!parsed.success) {
      return { error: 'the test has no recorded step in vars.step (a canonical chat request): build the tests with datasetTests(), or the suite tests entry of @gantry/evals-promptfoo' };
    }
    const candidate = typeof vars.candidate === 'string' && vars.candidate !== '' ? vars.candidate : this.candidate;
    if (candidate === undefined) return { error: 'no candidate model: set GANTRY_EVAL_CANDIDATE, `candidate` in the provider config, or pass --candidate to gantry eval run' };
    const sourceRunId = stringVar(vars.source_run_id, 'unknown-item');
    const labels: ReplayRunLabels = { suite: this.config.suite ?? 'promptfoo', dataset: stringVar(vars.dataset, 'unknown'), candidate, session: this.session };
    const runId = replayRunId(this.session, sourceRunId);
    const run = evalRun(this.runs, runId);
    try {
      return await this.replay(parsed.data as unknown as ChatRequest, candidate, replayHeaders(labels, sourceRunId, stringVar(vars.source_span_id, 'unknown-span')), options?.abortSignal);
    } catch (error) {
      run.failed = true;
      return failedResponse(`replaying ${stringVar(vars.source_span_id, 'the step')} on ${candidate}: ${(error as Error).message}`, statusOf(error));
    }
  }

  /** Sends one step and reads the answer. */
  private async replay(step: ChatRequest, candidate: string, headers: Record<string, string>, abort: AbortSignal | undefined): Promise<ProviderResponse> {
    const body = encodeOpenAIChatRequest(step, { model: candidate, stream: false });
    const posted = await postChatCompletion(this.connection, body, headers, deadline(this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS, abort));
    const metadata: ReplayResponseMetadata = { candidateResult: posted.result, gantry: posted.gantry };
    const finishReason = posted.result.choices[0]?.rawFinishReason;
    const tokenUsage = tokenUsageOf(posted.result);
    return {
      output: answerOutput(posted.result),
      latencyMs: posted.latencyMs,
      metadata,
      ...(finishReason === undefined ? {} : { finishReason }),
      ...(tokenUsage === undefined ? {} : { tokenUsage }),
    };
  }

  /** The runs this eval recorded into, by id. */
  runIds(): string[] {
    return [...this.runs.keys()];
  }

  /**
   * Ends this eval's runs in Gantry (`failed` when a step in them failed), once the eval is over;
   * promptfoo's CLI calls it, `runSuite` too. Throws when Gantry refused to end some of them.
   */
  async cleanup(): Promise<void> {
    await endRuns(this.connection, this.runs);
  }
}

function stringVar(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}
