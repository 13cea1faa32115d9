import type { RunCaller } from '@gantry/runs';
import type { ChatRequest, ChatResult } from '@gantry/spec';
import type { ScoreOptions } from '../eval-types.ts';
import type { AnswerComparison, AnswerRung } from '../scores/compare-answers.ts';
import type { ReplayCaller } from './replay-call.ts';

/** Embeds texts through the pipeline (budgeted, recorded) and returns one vector per text. */
export type ReplayEmbedder = (input: { model: string; texts: string[]; caller: RunCaller; headers: Record<string, string> }, signal: AbortSignal) => Promise<number[][]>;

/** What the judging rungs call through: the same pipeline as the replayed calls, in a `judge` run of the item. */
export interface JudgeContext {
  call: ReplayCaller;
  embed: ReplayEmbedder | undefined;
  caller: RunCaller;
  headers: Record<string, string>;
  /** What was asked (the step's last user message), for the judge. */
  question: string;
  signal: AbortSignal;
}

export const DEFAULT_SIMILARITY_THRESHOLD = 0.9;

/** Cosine similarity of two vectors; 0 when either is all zeros or their lengths differ. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index]! * b[index]!;
    normA += a[index]! * a[index]!;
    normB += b[index]! * b[index]!;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

const JUDGE_SYSTEM =
  'You compare two answers to the same request. Reply with one JSON object and nothing else: ' +
  '{"equivalent": true or false, "reason": "one short sentence"}. Equivalent means a user would accept either: ' +
  'the same facts and conclusion; wording, order and length may differ.';

function judgeRequest(model: string, question: string, recorded: string, candidate: string): ChatRequest {
  const text = `Request:\n${question}\n\nRecorded answer:\n${recorded}\n\nCandidate answer:\n${candidate}`;
  return {
    model,
    messages: [
      { role: 'system', content: [{ type: 'text', text: JUDGE_SYSTEM }] },
      { role: 'user', content: [{ type: 'text', text }] },
    ],
    responseFormat: { type: 'json_object' },
    temperature: 0,
    maxOutputTokens: 200,
    stream: false,
    includeUsage: false,
  };
}

/** The judge's verdict from its answer, or undefined when it is not the JSON asked for. */
export function readVerdict(result: ChatResult | null): { equivalent: boolean; reason: string } | undefined {
  const text = (result?.choices[0]?.content ?? []).map((part) => (part.type === 'text' ? part.text : '')).join('');
  const json = /\{[\s\S]*\}/.exec(text)?.[0];
  if (json === undefined) return undefined;
  try {
    const value = JSON.parse(json) as { equivalent?: unknown; reason?: unknown };
    return typeof value.equivalent === 'boolean' ? { equivalent: value.equivalent, reason: typeof value.reason === 'string' ? value.reason : '' } : undefined;
  } catch {
    return undefined;
  }
}

async function bySimilarity(options: ScoreOptions, context: JudgeContext, recorded: string, candidate: string): Promise<AnswerComparison | undefined> {
  if (options.embeddingModel === undefined || context.embed === undefined) return undefined;
  const [a, b] = await context.embed({ model: options.embeddingModel, texts: [recorded, candidate], caller: context.caller, headers: context.headers }, context.signal);
  const similarity = cosineSimilarity(a ?? [], b ?? []);
  const threshold = options.similarityThreshold ?? DEFAULT_SIMILARITY_THRESHOLD;
  return { score: similarity >= threshold ? 1 : similarity, method: 'embedding', reason: `cosine similarity ${similarity.toFixed(3)} (equivalent at ≥ ${threshold})` };
}

async function byJudge(options: ScoreOptions, context: JudgeContext, recorded: string, candidate: string): Promise<AnswerComparison | undefined> {
  if (options.judgeModel === undefined) return undefined;
  const judged = await context.call({ request: judgeRequest(options.judgeModel, context.question, recorded, candidate), caller: context.caller, headers: context.headers }, context.signal);
  const verdict = readVerdict(judged.result);
  if (verdict === undefined) return undefined;
  return { score: verdict.equivalent ? 1 : 0, method: 'judge', reason: `judge: ${verdict.reason}` };
}

/**
 * The rungs past the deterministic ladder, in order: embedding similarity, then an LLM judge.
 * A rung that cannot decide (its call failed, the judge did not answer in JSON) passes to the next;
 * undefined when no judging is configured.
 */
export function judgingRung(options: ScoreOptions, context: JudgeContext): AnswerRung | undefined {
  if (options.embeddingModel === undefined && options.judgeModel === undefined) return undefined;
  return async (recorded, candidate) => {
    const similar = await bySimilarity(options, context, recorded, candidate).catch(() => undefined);
    if (similar !== undefined && similar.score === 1) return similar;
    return (await byJudge(options, context, recorded, candidate).catch(() => undefined)) ?? similar;
  };
}
