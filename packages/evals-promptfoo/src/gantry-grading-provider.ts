import { z } from 'zod';
import { actionOf } from '@gantry/evals';
import type { ApiProvider, CallApiContextParams, CallApiOptionsParams, ProviderResponse } from 'promptfoo';
import { statusOf } from './gantry-connection.ts';
import { GantryGrader, type GraderConfig } from './gantry-grader.ts';
import { deadline, failedResponse, postChatCompletion, tokenUsageOf } from './post-chat-completion.ts';
import type { ProviderConstructorOptions } from './provider-options.ts';

/** A rendered grading prompt that is a chat (promptfoo's rubric prompts are JSON message lists). */
const chatPrompt = z
  .array(z.looseObject({ role: z.enum(['system', 'developer', 'user', 'assistant']), content: z.union([z.string(), z.array(z.unknown())]) }))
  .min(1);

const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * promptfoo's grading provider for `llm-rubric` (and the other model-graded assertions), answered
 * by a model behind Gantry: the rendered rubric prompt (a JSON list of chat messages, or plain
 * text) goes to `/v1/chat/completions` on the configured model, and the answer's text comes back
 * for promptfoo to read its verdict from. Its calls are recorded in one run per eval.
 */
export class GantryGradingProvider extends GantryGrader implements ApiProvider {
  constructor(options: ProviderConstructorOptions<GraderConfig> = {}) {
    super(options, 'grader');
  }

  id(): string {
    return this.providerId ?? `gantry-grader:${this.model}`;
  }

  async callApi(prompt: string, _context?: CallApiContextParams, options?: CallApiOptionsParams): Promise<ProviderResponse> {
    const body = { model: this.model, messages: messagesOf(prompt), temperature: 0 };
    const { headers, run } = this.runOfCall();
    try {
      const posted = await postChatCompletion(this.connection, body, headers, deadline(this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS, options?.abortSignal));
      const tokenUsage = tokenUsageOf(posted.result);
      return { output: actionOf(posted.result).text, latencyMs: posted.latencyMs, ...(tokenUsage === undefined ? {} : { tokenUsage }) };
    } catch (error) {
      run.failed = true;
      return failedResponse(`grading through Gantry on ${this.model}: ${(error as Error).message}`, statusOf(error));
    }
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
