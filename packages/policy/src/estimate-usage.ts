import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatRequest, ChatResult, Usage } from '@gantry/spec';
import { countPromptTokens } from './count-prompt-tokens.ts';

/** Per tool call: the framing around its name and arguments, as when counting a prompt. */
const TOKENS_PER_TOOL_CALL = 8;

/**
 * What a call used, counted by Gantry, for an answer that came without the provider's usage: a
 * stream the client (or the provider) cut before its usage chunk, or a server that ignores
 * `stream_options.include_usage`. The prompt, plus every output token the answer carried, counted
 * with the o200k BPE. Providers bill what they generated, so this is a floor, not a guess above
 * it: settled at this, such a call counts toward its budgets instead of running free.
 */
export function estimateUsage(request: ChatRequest, result: ChatResult): Usage {
  let outputTokens = 0;
  let reasoningTokens = 0;
  for (const choice of result.choices) {
    for (const part of choice.content) {
      if (part.type === 'tool-call') outputTokens += countTokens(part.name) + countTokens(part.arguments) + TOKENS_PER_TOOL_CALL;
      else if (part.type === 'reasoning') reasoningTokens += countTokens(part.text);
      else outputTokens += countTokens(part.text);
    }
  }
  const usage: Usage = { inputTokens: countPromptTokens(request), outputTokens: outputTokens + reasoningTokens };
  if (reasoningTokens > 0) usage.reasoningTokens = reasoningTokens;
  return usage;
}
