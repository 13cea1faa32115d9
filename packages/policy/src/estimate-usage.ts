import type { ChatRequest, ChatResult, Usage } from '@gantry/spec';
import { countPromptTokens, countTextTokens } from './count-prompt-tokens.ts';
import { TextTokenCounter } from './count-text-tokens.ts';

/** Per tool call: the framing around its name and arguments, as when counting a prompt. */
const TOKENS_PER_TOOL_CALL = 8;

/**
 * What a call used, counted by Gantry, for an answer that came without the provider's usage: a
 * stream the client (or the provider) cut before its usage chunk, or a server that ignores
 * `stream_options.include_usage`. The prompt, plus every output token the answer carried, counted
 * with the o200k BPE. Providers bill what they generated, so this is a floor, not a guess above
 * it: settled at this, such a call counts toward its budgets instead of running free. Prompt and
 * answer share one counting slice (a few ms); text beyond it counts as its UTF-8 bytes, more than
 * its tokens, so even then the count is never below what was generated (see count-text-tokens.ts).
 */
export function estimateUsage(request: ChatRequest, result: ChatResult): Usage {
  const counter = new TextTokenCounter();
  const count = (text: string) => countTextTokens(text, counter);
  // The prompt first: it was usually counted, and remembered, when the call was reserved, so
  // looking it up leaves the slice to the answer.
  const inputTokens = countPromptTokens(request, counter);
  let outputTokens = 0;
  let reasoningTokens = 0;
  for (const choice of result.choices) {
    for (const part of choice.content) {
      if (part.type === 'tool-call') outputTokens += count(part.name) + count(part.arguments) + TOKENS_PER_TOOL_CALL;
      else if (part.type === 'reasoning') reasoningTokens += count(part.text);
      else outputTokens += count(part.text);
    }
  }
  const usage: Usage = { inputTokens, outputTokens: outputTokens + reasoningTokens };
  if (reasoningTokens > 0) usage.reasoningTokens = reasoningTokens;
  return usage;
}
