import { randomUUID } from 'node:crypto';
import { decodeOpenAIEmbeddingResponse, encodeOpenAIEmbeddingRequest } from '@gantry/formats';
import type { ApiEmbeddingProvider, ProviderEmbeddingResponse, ProviderResponse } from 'promptfoo';
import { endRuns, evalRun, type EvalRun } from './end-runs.ts';
import { callGantry, connectionFrom, jsonOf, type GantryConnection } from './gantry-connection.ts';
import { graderModel, graderRunHeaders, type GraderConfig } from './gantry-grading-provider.ts';
import { deadline } from './post-chat-completion.ts';
import type { ProviderConstructorOptions } from './provider-options.ts';

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * promptfoo's embedding provider for `similar`, answered by an embedding model behind Gantry
 * (`/v1/embeddings`): promptfoo embeds the expected and the actual output and compares the
 * vectors. Its calls are recorded in one run per eval.
 */
export class GantryEmbeddingProvider implements ApiEmbeddingProvider {
  readonly config: GraderConfig;
  readonly label: string | undefined;
  private readonly providerId: string | undefined;
  private readonly connection: GantryConnection;
  private readonly model: string;
  private readonly runId = `promptfoo-${randomUUID()}-embedding`;
  private readonly runs = new Map<string, EvalRun>();

  constructor(options: ProviderConstructorOptions<GraderConfig> = {}) {
    const env = { ...process.env, ...options.env };
    this.config = options.config ?? {};
    this.label = options.label;
    this.providerId = options.id;
    this.connection = connectionFrom(this.config, env);
    this.model = graderModel(this.config, env, 'GANTRY_EVAL_EMBEDDER', 'embedding');
  }

  id(): string {
    return this.providerId ?? `gantry-embedder:${this.model}`;
  }

  /** An embedding provider answers no chat: promptfoo only calls `callEmbeddingApi`. */
  async callApi(): Promise<ProviderResponse> {
    return { error: `${this.id()} is an embedding provider: use it as the \`embedding\` grading provider (for \`similar\`), not as a text provider` };
  }

  async callEmbeddingApi(input: string): Promise<ProviderEmbeddingResponse> {
    const body = encodeOpenAIEmbeddingRequest({ model: this.model, input }, this.model);
    const headers = graderRunHeaders(this.runId, 'embedder', this.config.suite ?? 'promptfoo');
    const run = evalRun(this.runs, this.runId);
    try {
      const response = await callGantry(this.connection, '/v1/embeddings', { body, headers, signal: deadline(this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS, undefined) });
      const result = decodeOpenAIEmbeddingResponse(jsonOf(response, 'an embedding'), 'gantry');
      const vector = result.embeddings[0];
      if (!Array.isArray(vector)) return { error: `Gantry answered ${this.model} with no float embedding` };
      return { embedding: vector, tokenUsage: { prompt: result.usage.inputTokens, total: result.usage.inputTokens, numRequests: 1 } };
    } catch (error) {
      run.failed = true;
      return { error: `embedding through Gantry on ${this.model}: ${(error as Error).message}` };
    }
  }

  /** Ends the embedding run. */
  async cleanup(): Promise<void> {
    await endRuns(this.connection, this.runs);
  }
}
