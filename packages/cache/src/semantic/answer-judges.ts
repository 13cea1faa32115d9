import { stringify } from 'safe-stable-stringify';
import type { AssistantPart, ChatRequest, ChatResult } from '@gantry/spec';

/** Names of the judges that label an exploration: was the cached answer right for the new prompt? */
export const answerJudgeNames = ['exact', 'embedding', 'llm'] as const;
export type AnswerJudgeName = (typeof answerJudgeNames)[number];

/** Who asked: a judge's own calls (embeddings, a judge model) are made, and billed, as them. */
export interface JudgeCaller {
  apiKeyId: string | null;
  teamId: string | null;
}

/** Decides whether `cached` answers `prompt` as well as `fresh` (the provider's answer to it) does. */
export type AnswerJudge = (input: { prompt: string; fresh: ChatResult; cached: ChatResult; caller: JudgeCaller; signal: AbortSignal }) => Promise<boolean>;

interface Action {
  text: string;
  toolCalls: { name: string; arguments: string }[];
}

/** Canonical JSON of tool-call arguments (key order and spacing do not matter), or the text as sent when it is not JSON. */
function canonicalArguments(text: string): string {
  try {
    return stringify(JSON.parse(text)) ?? text;
  } catch {
    return text;
  }
}

function actionOf(result: ChatResult): Action {
  const parts: readonly AssistantPart[] = result.choices[0]?.content ?? [];
  return {
    text: parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join(''),
    toolCalls: parts.flatMap((part) => (part.type === 'tool-call' ? [{ name: part.name, arguments: canonicalArguments(part.arguments) }] : [])).sort((a, b) => a.name.localeCompare(b.name) || a.arguments.localeCompare(b.arguments)),
  };
}

/** Case, spacing and trailing punctuation do not make answers different. */
export function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim().replace(/[.!?;:,]+$/, '');
}

/** Same tool calls (names and canonical arguments, in any order) and, without tool calls, the same normalised text. */
export function sameAction(fresh: ChatResult, cached: ChatResult): boolean {
  const [a, b] = [actionOf(fresh), actionOf(cached)];
  if (a.toolCalls.length > 0 || b.toolCalls.length > 0) return stringify(a.toolCalls) === stringify(b.toolCalls);
  return normaliseText(a.text) === normaliseText(b.text);
}

/** `exact`: the answers do the same thing (deterministic models, tool-planning turns). */
export const exactJudge: AnswerJudge = async ({ fresh, cached }) => sameAction(fresh, cached);

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index]! * (b[index] ?? 0);
    normA += a[index]! ** 2;
    normB += (b[index] ?? 0) ** 2;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/** `embedding`: the same tool calls, or texts whose embeddings are at least `threshold` similar. */
export function embeddingJudge(embed: (texts: string[], caller: JudgeCaller, signal: AbortSignal) => Promise<number[][]>, threshold: number): AnswerJudge {
  return async ({ fresh, cached, caller, signal }) => {
    const [a, b] = [actionOf(fresh), actionOf(cached)];
    if (a.toolCalls.length > 0 || b.toolCalls.length > 0) return sameAction(fresh, cached);
    if (normaliseText(a.text) === normaliseText(b.text)) return true;
    const [first, second] = await embed([a.text, b.text], caller, signal);
    return first !== undefined && second !== undefined && cosine(first, second) >= threshold;
  };
}

/** `llm`: a judge model says whether the cached answer is as correct for the prompt as the fresh one. */
export function llmJudge(complete: (request: ChatRequest, caller: JudgeCaller, signal: AbortSignal) => Promise<ChatResult>, model: string): AnswerJudge {
  return async ({ prompt, fresh, cached, caller, signal }) => {
    if (sameAction(fresh, cached)) return true;
    const show = (result: ChatResult) => JSON.stringify(actionOf(result));
    const request: ChatRequest = {
      model,
      stream: false,
      includeUsage: false,
      temperature: 0,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'You check a cache. Reply with exactly one word: YES if answer B is as correct and complete a reply to the question as answer A (same facts, same tool calls with the same arguments), otherwise NO.' }] },
        { role: 'user', content: [{ type: 'text', text: `Question:\n${prompt}\n\nAnswer A:\n${show(fresh)}\n\nAnswer B:\n${show(cached)}` }] },
      ],
    };
    const verdict = actionOf(await complete(request, caller, signal)).text.trim().toUpperCase();
    return verdict.startsWith('YES');
  };
}
