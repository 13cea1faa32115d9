import type { ChatResult } from '@gantry/spec';
import type { AnswerJudge, JudgeCaller } from '../semantic/answer-judges.ts';
import { MAX_KIND_CHARS, MAX_KINDS, type ScoredPair } from './labelled-pairs.ts';
import type { TrafficPrompt } from './traffic-prompts.ts';

/** Similarity under which a prompt's nearest earlier prompt is not a pair: no threshold tried reaches it. */
export const MIN_TRAFFIC_PAIR_SIMILARITY = 0.5;

/** How a pair of recorded prompts is labelled. */
export interface TrafficLabelOptions {
  judge: AnswerJudge;
  /** The newer prompt's answer to judge against: the recorded one, or the prompt asked again. */
  freshAnswer: (prompt: TrafficPrompt) => Promise<ChatResult>;
  /** Who the judge's own calls (an embeddings model, a judge model) are made and billed as. */
  caller: JudgeCaller;
  signal: AbortSignal;
}

/**
 * Whether the earlier prompt's recorded answer is right for the newer prompt, as the cache's judge
 * labels an exploration: the newer prompt's answer (recorded, or asked again so that sampled
 * answers are compared with a fresh sample) against the answer a cache would have served.
 */
export async function labelTrafficPair(pair: { newer: TrafficPrompt; earlier: TrafficPrompt }, options: TrafficLabelOptions): Promise<boolean> {
  const fresh = await options.freshAnswer(pair.newer);
  return options.judge({ prompt: pair.newer.text, fresh, cached: pair.earlier.answer, caller: options.caller, signal: options.signal });
}

/** A judged pair of recorded prompts, as `gantry cache calibrate --traffic` holds it. */
export interface JudgedTrafficPair {
  /** The newer prompt's span, and its nearest earlier prompt's. */
  spanId: string;
  earlierSpanId: string;
  /** The two last user messages. */
  prompt: string;
  earlierPrompt: string;
  /** The model the newer prompt asked for (alias or provider/model): the pair's kind in reports. */
  model: string;
  /** Cosine similarity of the two prompts' embeddings. */
  similarity: number;
  /** Whether the earlier prompt's answer served the newer prompt, by the judge. */
  same: boolean;
}

const OTHER_MODELS = 'other models';

/** Kinds by model: each model its own, the least frequent beyond {@link MAX_KINDS} − 1 together. */
function kindsByModel(pairs: readonly JudgedTrafficPair[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const pair of pairs) counts.set(pair.model, (counts.get(pair.model) ?? 0) + 1);
  const ranked = [...counts.entries()].sort(([leftModel, left], [rightModel, right]) => right - left || leftModel.localeCompare(rightModel));
  const kept = ranked.length <= MAX_KINDS ? ranked : ranked.slice(0, MAX_KINDS - 1);
  const kinds = new Map(ranked.map(([model]) => [model, OTHER_MODELS]));
  for (const [model] of kept) kinds.set(model, model.slice(0, MAX_KIND_CHARS));
  return kinds;
}

/**
 * The pairs as the calibration scores them: each earlier prompt is one cache entry (keyed by its
 * span, so equal texts in different partitions stay different entries), each newer prompt a
 * lookup of it, and the kind is the model asked.
 */
export function trafficScoredPairs(pairs: readonly JudgedTrafficPair[]): ScoredPair[] {
  const kinds = kindsByModel(pairs);
  return pairs.map((pair) => ({ a: pair.earlierSpanId, b: pair.spanId, same: pair.same, kind: kinds.get(pair.model)!, similarity: pair.similarity }));
}

/**
 * The pairs as JSON Lines in the `--pairs` format (`a`, `b`, `same`, `kind`), with the spans and
 * the similarity besides: judged once, they calibrate again with another embeddings model
 * without asking the judge again.
 */
export function trafficPairsJsonl(pairs: readonly JudgedTrafficPair[]): string {
  const kinds = kindsByModel(pairs);
  return pairs
    .map((pair) =>
      JSON.stringify({ a: pair.earlierPrompt, b: pair.prompt, same: pair.same, kind: kinds.get(pair.model), similarity: pair.similarity, a_span_id: pair.earlierSpanId, b_span_id: pair.spanId }),
    )
    .join('\n')
    .concat(pairs.length === 0 ? '' : '\n');
}
