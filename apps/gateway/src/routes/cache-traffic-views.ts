import type { ChatResult } from '@gantry/spec';

/**
 * The wire shapes of the traffic routes `gantry cache calibrate --traffic` reads (see
 * cache-traffic-routes.ts), shared with the CLI.
 */

/** One recorded prompt a semantic cache would have looked up: `GET /v1/cache/traffic` items. */
export interface TrafficPromptView {
  /** The call's `llm` span, and its run. */
  span_id: string;
  run_id: string;
  /** When the call started (ISO 8601). */
  started_at: string;
  api_key_id: string | null;
  /** The model the client asked for (alias or provider/model). */
  model: string;
  /** `provider/model` as the provider that answered reported it; null when unknown. */
  target: string | null;
  /** Hex hash of everything in the request but the last user message, and the model's targets: prompts are only compared within one. */
  partition: string;
  /** The last user message. */
  prompt: string;
  /** The recorded answer, as stored (the canonical chat result, as `GET /v1/runs/:id/spans/:span_id` shows it). */
  answer: ChatResult;
}

/** `GET /v1/cache/traffic`: a page of recorded prompts, newest first. */
export interface TrafficPageView {
  /** The window (ISO 8601): from `since`, inclusive, to `until`, exclusive. Send both back with `cursor` for the next page. */
  since: string;
  until: string;
  /** At most `limit` prompts; a short page is not the end, a null `next_cursor` is. */
  data: TrafficPromptView[];
  next_cursor: string | null;
}

/** One prompt's nearest earlier prompt of its partition. */
export interface TrafficPairView {
  span_id: string;
  earlier_span_id: string;
  /** Cosine similarity of the two prompts' embeddings. */
  similarity: number;
}

/** `POST /v1/cache/traffic/pairs`: the pairs found among the prompts named, and what became of the rest. */
export interface TrafficPairsView {
  /** The embeddings model, or `local`. */
  model: string;
  /** Prompts named. */
  prompts: number;
  /** Of those, the first of each text in its partition: the ones embedded (later repeats are the exact cache's). */
  distinct_prompts: number;
  /** Embeddings calls made through the pipeline (0 for `local`). */
  embedding_calls: number;
  /** Distinct prompts with no earlier one in their partition. */
  without_earlier: number;
  /** Distinct prompts whose nearest earlier one is less similar than `min_similarity`. */
  below_floor: number;
  min_similarity: number;
  /** Oldest newer prompt first. */
  pairs: TrafficPairView[];
}

/** `POST /v1/cache/traffic/labels`: each pair judged. */
export interface TrafficLabelsView {
  judge: 'exact' | 'embedding' | 'llm';
  /** The embeddings model of `embedding`, the chat model of `llm`; null for `exact`. */
  judge_model: string | null;
  /** Whether the newer prompts were asked again rather than judged on their recorded answers. */
  replay: boolean;
  /** In the order asked. */
  labels: { span_id: string; earlier_span_id: string; same: boolean }[];
}
