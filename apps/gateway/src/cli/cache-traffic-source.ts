import { writeFile } from 'node:fs/promises';
import { formatTrafficSource, trafficPairsJsonl, trafficScoredPairs, type JudgedTrafficPair, type ScoredPair } from '@gantry/cache/calibration';
import type { TrafficLabelsView, TrafficPageView, TrafficPairsView, TrafficPromptView } from '../routes/cache-traffic-views.ts';
import { CliError, type GatewayClient } from './admin-client.ts';
import { progressBar, type ProgressStream } from './gate-progress.ts';

/** The window --traffic reads without --since, and the most prompts it reads without --limit. */
export const DEFAULT_TRAFFIC_SINCE = '7d';
export const DEFAULT_TRAFFIC_LIMIT = 2_000;

/** What `gantry cache calibrate --traffic` reads and how it labels. */
export interface TrafficCalibrationOptions {
  /** Start of the window: a date, a date-time or a span back from now (`7d`). */
  since: string;
  /** Most recent prompts read, at most. */
  limit: number;
  /** The embeddings model the gateway embeds prompts with, or `local`. */
  model: string;
  /** The judge; undefined: the gateway's `cache.semantic.judge`, else `exact`. */
  judge?: string;
  judgeModel?: string;
  /** Ask the newer prompts again (cache off) rather than judge their recorded answers. */
  replay: boolean;
}

/** The judged pairs and the source to store them under. */
export interface LoadedTraffic {
  source: string;
  pairs: JudgedTrafficPair[];
}

/** Prompts per `GET /v1/cache/traffic` page. */
const PAGE_SIZE = 500;
/** Pairs per `POST /v1/cache/traffic/labels`: the gateway judges (and replays) them at once. */
const LABEL_BATCH = 16;

/** A bar on a terminal's stderr while a step goes on; nothing anywhere else. */
class StepProgress {
  constructor(
    private readonly stream: ProgressStream,
    private readonly what: string,
    private readonly total: number,
  ) {}

  update(done: number): void {
    if (this.stream.isTTY !== true) return;
    this.stream.write(`\r${progressBar(this.total === 0 ? 1 : done / this.total)} ${done}/${this.total} ${this.what}\u001b[K`);
  }

  finish(): void {
    if (this.stream.isTTY === true) this.stream.write('\r\u001b[K');
  }
}

const plural = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;

/** The most recent `limit` prompts of the window, newest first, page by page; the window as the gateway fixed it. */
async function readTraffic(client: GatewayClient, options: TrafficCalibrationOptions, stream: ProgressStream): Promise<{ prompts: TrafficPromptView[]; since: string; until: string }> {
  const prompts: TrafficPromptView[] = [];
  const progress = new StepProgress(stream, 'prompts read', options.limit);
  let page = (await client.call('GET', `/v1/cache/traffic?${new URLSearchParams({ since: options.since, limit: String(Math.min(PAGE_SIZE, options.limit)) })}`)) as TrafficPageView;
  const { since, until } = page;
  try {
    for (;;) {
      prompts.push(...page.data.slice(0, options.limit - prompts.length));
      progress.update(prompts.length);
      if (page.next_cursor === null || prompts.length >= options.limit) break;
      const query = new URLSearchParams({ since, until, limit: String(Math.min(PAGE_SIZE, options.limit - prompts.length)), cursor: page.next_cursor });
      page = (await client.call('GET', `/v1/cache/traffic?${query}`)) as TrafficPageView;
    }
  } finally {
    progress.finish();
  }
  return { prompts, since, until };
}

/** The body fields naming the judge: the embedding judge compares answers with `--model` unless told otherwise. */
function judgeFields(options: TrafficCalibrationOptions): Record<string, unknown> {
  const judgeModel = options.judgeModel ?? (options.judge === 'embedding' ? options.model : undefined);
  return { ...(options.judge === undefined ? {} : { judge: options.judge }), ...(judgeModel === undefined ? {} : { judge_model: judgeModel }), replay: options.replay };
}

/** Every pair judged, {@link LABEL_BATCH} per request, with a bar; the judge the gateway used. */
async function labelPairs(client: GatewayClient, pairs: readonly TrafficPairsView['pairs'][number][], options: TrafficCalibrationOptions, stream: ProgressStream) {
  const same = new Map<string, boolean>();
  let judged: Omit<TrafficLabelsView, 'labels'> | undefined;
  const progress = new StepProgress(stream, options.replay ? 'pairs replayed and judged' : 'pairs judged', pairs.length);
  try {
    for (let start = 0; start < pairs.length; start += LABEL_BATCH) {
      const batch = pairs.slice(start, start + LABEL_BATCH).map((pair) => ({ span_id: pair.span_id, earlier_span_id: pair.earlier_span_id }));
      const answer = (await client.call('POST', '/v1/cache/traffic/labels', { pairs: batch, ...judgeFields(options) })) as TrafficLabelsView;
      for (const label of answer.labels) same.set(`${label.span_id}\n${label.earlier_span_id}`, label.same);
      judged = { judge: answer.judge, judge_model: answer.judge_model, replay: answer.replay };
      progress.update(same.size);
    }
  } finally {
    progress.finish();
  }
  return { same, judged: judged! };
}

/**
 * Recorded traffic as labelled pairs: the window's most recent prompts (`GET /v1/cache/traffic`),
 * each one's nearest earlier prompt of its partition (`POST /v1/cache/traffic/pairs`: the gateway
 * embeds with `--model` as the key and searches with pgvector), and each pair judged
 * (`POST /v1/cache/traffic/labels`). Reports each step on `stream`; a window without pairs is a
 * CliError saying why.
 */
export async function loadTrafficPairs(client: GatewayClient, options: TrafficCalibrationOptions, stream: ProgressStream & { write(text: string): unknown }): Promise<LoadedTraffic> {
  const { prompts, since, until } = await readTraffic(client, options, stream);
  stream.write(`Read ${plural(prompts.length, 'recorded prompt')} from ${since} to ${until}.\n`);
  if (prompts.length < 2) throw new CliError(`no pairs: ${plural(prompts.length, 'first-turn chat call')} this key can see from ${since} to ${until}; widen --since, or calibrate on labelled pairs with --pairs`);
  const byId = new Map(prompts.map((prompt) => [prompt.span_id, prompt]));
  const found = (await client.call('POST', '/v1/cache/traffic/pairs', { model: options.model, span_ids: prompts.map((prompt) => prompt.span_id) })) as TrafficPairsView;
  const calls = found.embedding_calls === 0 ? '' : ` in ${plural(found.embedding_calls, 'call')}`;
  stream.write(
    `Found ${plural(found.pairs.length, 'pair')} among ${plural(found.distinct_prompts, 'distinct prompt')} embedded with ${found.model}${calls}: ` +
      `${found.without_earlier} without an earlier prompt in their partition, ${found.below_floor} whose nearest is below ${found.min_similarity}.\n`,
  );
  if (found.pairs.length === 0) throw new CliError(`no pairs: no prompt from ${since} to ${until} has an earlier one of its partition at similarity ${found.min_similarity} or more; widen --since or raise --limit`);
  const { same, judged } = await labelPairs(client, found.pairs, options, stream);
  const pairs = found.pairs.map((pair) => ({
    spanId: pair.span_id,
    earlierSpanId: pair.earlier_span_id,
    prompt: byId.get(pair.span_id)!.prompt,
    earlierPrompt: byId.get(pair.earlier_span_id)!.prompt,
    model: byId.get(pair.span_id)!.model,
    similarity: pair.similarity,
    same: same.get(`${pair.span_id}\n${pair.earlier_span_id}`)!,
  }));
  const agreed = pairs.filter((pair) => pair.same).length;
  const judge = judged.judge_model === null ? judged.judge : `${judged.judge} (${judged.judge_model})`;
  stream.write(`Judged ${plural(pairs.length, 'pair')} with ${judge} on ${judged.replay ? 'replayed' : 'recorded'} answers: ${agreed} same, ${pairs.length - agreed} different.\n`);
  return { source: formatTrafficSource({ since, until, judge: judged.judge, judgeModel: judged.judge_model, replay: judged.replay }), pairs };
}

/**
 * `--traffic`'s pairs as the calibration scores them (`model` embedded them), with the source to
 * store them under; the judged pairs are written to `savePairs` in the --pairs format when asked.
 */
export async function scoredTrafficPairs(
  client: GatewayClient,
  options: Partial<Pick<TrafficCalibrationOptions, 'since' | 'limit'>> & Omit<TrafficCalibrationOptions, 'since' | 'limit'> & { savePairs?: string },
): Promise<{ source: string; model: string; pairs: ScoredPair[] }> {
  const traffic = await loadTrafficPairs(client, { ...options, since: options.since ?? DEFAULT_TRAFFIC_SINCE, limit: options.limit ?? DEFAULT_TRAFFIC_LIMIT }, process.stderr);
  if (options.savePairs !== undefined) {
    await writeFile(options.savePairs, trafficPairsJsonl(traffic.pairs)).catch((error: unknown) => {
      throw new CliError(`cannot write ${options.savePairs}: ${(error as Error).message}`);
    });
    process.stderr.write(`Wrote the judged pairs to ${options.savePairs} (calibrate on them again with --pairs ${options.savePairs}).\n`);
  }
  return { source: traffic.source, model: options.model, pairs: trafficScoredPairs(traffic.pairs) };
}
