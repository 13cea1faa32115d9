import { decodeOpenAIEmbeddingResponse, encodeOpenAIEmbeddingRequest } from '@gantry/formats';
import type { ApiEmbeddingProvider, ProviderEmbeddingResponse, ProviderResponse } from 'promptfoo';
import { callGantry, jsonOf } from './gantry-connection.ts';
import { GantryGrader, type GraderConfig } from './gantry-grader.ts';
import { deadline } from './post-chat-completion.ts';
import type { ProviderConstructorOptions } from './provider-options.ts';

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * promptfoo's embedding provider for `similar`, answered by an embedding model behind Gantry
 * (`/v1/embeddings`): promptfoo embeds the expected and the actual output and compares the
 * vectors. Its calls are recorded in one run per eval.
 */
export class GantryEmbeddingProvider extends GantryGrader implements ApiEmbeddingProvider {
  constructor(options: ProviderConstructorOptions<GraderConfig> = {}) {
    super(options, 'embedder');
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
    const { headers, run } = this.runOfCall();
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
}
