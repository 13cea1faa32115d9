import type { ChatResult, FinishReason } from '@gantry/spec';
import type { FinishClass, StepAction } from '../eval-types.ts';

const FINISH_CLASS: Record<FinishReason, FinishClass> = {
  stop: 'text',
  length: 'length',
  'tool-calls': 'tool-calls',
  'content-filter': 'content-filter',
  error: 'error',
  other: 'other',
};

/**
 * What one answer did, reduced to what the step scores compare: its finish class, its tool calls
 * in order and its text. An answer carrying tool-call parts counts as `tool-calls` whatever finish
 * reason the provider gave, because some providers report `stop` on a tool-calling turn. A result
 * without the asked-for choice reads as finish `other` with nothing said.
 */
export function actionOf(result: ChatResult, choice = 0): StepAction {
  const answer = result.choices[choice];
  if (answer === undefined) return { finish: 'other', toolCalls: [], text: '' };
  const toolCalls: StepAction['toolCalls'] = [];
  const texts: string[] = [];
  for (const part of answer.content) {
    if (part.type === 'tool-call') toolCalls.push({ name: part.name, arguments: part.arguments });
    else if (part.type === 'text') texts.push(part.text);
  }
  const finish = toolCalls.length > 0 ? 'tool-calls' : FINISH_CLASS[answer.finishReason];
  return { finish, toolCalls, text: texts.join('') };
}
