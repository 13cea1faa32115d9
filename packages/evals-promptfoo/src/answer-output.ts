import { actionOf } from '@gantry/evals';
import type { ChatResult } from '@gantry/spec';

/** A tool call as it appears in an output: OpenAI's shape, without the call id (ids differ between runs). */
export interface OutputToolCall {
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * What promptfoo sees as an answer's output: the text when the answer called no tool, else one
 * line of JSON, `{"tool_calls":[{"type":"function","function":{"name","arguments"}}]}` (with
 * `content` when text came along), so `equals`, `contains-json`, `is-json` and `tool-call-f1`
 * read tool calls as OpenAI writes them. Recorded and candidate answers are rendered alike, so
 * `equals: '{{expected}}'` compares like with like.
 */
export function answerOutput(result: ChatResult): string {
  const action = actionOf(result);
  if (action.toolCalls.length === 0) return action.text;
  const body: { content?: string; tool_calls: OutputToolCall[] } = { tool_calls: outputToolCalls(result) };
  if (action.text !== '') body.content = action.text;
  return JSON.stringify(body);
}

/** The answer's tool calls in output form, in the order made (choice 0). */
export function outputToolCalls(result: ChatResult): OutputToolCall[] {
  return actionOf(result).toolCalls.map((call) => ({ type: 'function', function: { name: call.name, arguments: call.arguments } }));
}
