import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { answerJudgeNames, LocalEmbedder } from '@gantry/cache';
import { firstOfEachPrompt, labelTrafficPair, MIN_TRAFFIC_PAIR_SIMILARITY, trafficPromptOf, type TrafficPrompt } from '@gantry/cache/calibration';
import { getTrafficSpans, listTrafficSpans, nearestEarlierPrompts, type TrafficSpanRow, type TrafficVisibility } from '@gantry/db';
import { toInvalidRequestError } from '@gantry/formats';
import type { RunCaller } from '@gantry/runs';
import { GatewayError, InvalidRequestError } from '@gantry/spec';
import { LOCAL_EMBEDDING_MODEL } from '../config/cache-config.ts';
import { abortOnClientClose } from '../proxy/client-abort.ts';
import { callerOf } from '../proxy/send-call.ts';
import { trafficEmbedder, trafficJudge, trafficReplayer, type TrafficEmbed, type TrafficJudgeChoice } from './cache-traffic-calls.ts';
import { encodeTrafficCursor, readTrafficQuery } from './cache-traffic-query.ts';
import type { TrafficLabelsView, TrafficPageView, TrafficPairsView, TrafficPromptView } from './cache-traffic-views.ts';

/** Most prompts one search takes: the search compares each with every earlier one of its partition. */
export const MAX_TRAFFIC_PROMPTS = 5_000;
/** Most pairs one labels request judges (at once: each may be a replay and a judge call). */
export const MAX_LABELS_PER_REQUEST = 16;
/** Texts per embeddings call: few calls, each well under any provider's input limit. */
const EMBEDDING_BATCH = 64;
/** The embedding judge's threshold when neither the request nor the cache config sets one. */
const DEFAULT_JUDGE_THRESHOLD = 0.9;

const NUL_FREE = (value: string): boolean => !value.includes('\u0000');
const text = (max: number) => z.string().min(1, 'must not be empty').max(max).refine(NUL_FREE, 'must not contain a NUL character');
const spanId = text(300);

const pairsBody = z.strictObject({
  model: text(300),
  span_ids: z.array(spanId).min(2, 'name at least two prompts: pairs need an earlier one').max(MAX_TRAFFIC_PROMPTS),
});

const labelsBody = z.strictObject({
  pairs: z.array(z.strictObject({ span_id: spanId, earlier_span_id: spanId })).min(1).max(MAX_LABELS_PER_REQUEST),
  judge: z.enum(answerJudgeNames, { error: `must be one of ${answerJudgeNames.join(', ')}` }).optional(),
  judge_model: text(300).optional(),
  judge_threshold: z.number().gt(0).max(1).optional(),
  replay: z.boolean().default(false),
});

/** Every text's embedding, {@link EMBEDDING_BATCH} per call, and the calls made; a 502 when the model answers a batch with the wrong number of vectors. */
async function embedAll(embed: TrafficEmbed, model: string, texts: readonly string[], signal: AbortSignal): Promise<{ embeddings: number[][]; calls: number }> {
  const embeddings: number[][] = [];
  let calls = 0;
  for (let start = 0; start < texts.length; start += EMBEDDING_BATCH) {
    const batch = texts.slice(start, start + EMBEDDING_BATCH);
    const vectors = await embed(batch, signal);
    calls += 1;
    if (vectors.length !== batch.length) throw new GatewayError('provider_error', 502, `the embeddings model '${model}' answered ${vectors.length} vectors for ${batch.length} texts`, false, { param: 'model' });
    embeddings.push(...vectors);
  }
  return { embeddings, calls };
}

/** Whose traffic the caller reads: its key's and team's runs, or everything for the master key. */
function visibilityOf(caller: RunCaller): TrafficVisibility | undefined {
  return caller.master ? undefined : { apiKeyId: caller.apiKeyId, teamId: caller.teamId };
}

function promptView(row: TrafficSpanRow, prompt: TrafficPrompt): TrafficPromptView {
  return {
    span_id: row.id,
    run_id: row.runId,
    started_at: row.startedAt.toISOString(),
    api_key_id: row.apiKeyId,
    model: prompt.request.model,
    target: row.provider === null ? null : `${row.provider}/${row.upstreamModel ?? prompt.request.model}`,
    partition: prompt.partition,
    prompt: prompt.text,
    answer: prompt.answer,
  };
}

/**
 * Recorded traffic as the semantic cache would have met it, for `gantry cache calibrate --traffic`:
 * the prompts (`GET /v1/cache/traffic`), each one's nearest earlier prompt of its partition found
 * with pgvector (`POST /v1/cache/traffic/pairs`), and pairs labelled by the cache's judges
 * (`POST /v1/cache/traffic/labels`). A key reads its own and its team's traffic, the master key
 * everyone's; the embeddings, judge calls and replays are made as the key, billed like any call.
 */
const cacheTrafficRoutes: FastifyPluginAsync = async (app) => {
  const db = () => app.gantry.database.db;
  let local: LocalEmbedder | undefined;
  const localEmbedder = () => (local ??= new LocalEmbedder());
  app.addHook('onClose', async () => local?.close());

  /** The model's targets as a call to it now would have them (the partition includes them); the name itself once it no longer resolves. */
  function targetsOf(model: string): string[] {
    try {
      return app.gantry.router.route(model).targets.map((target) => target.id);
    } catch {
      return [model];
    }
  }

  const promptOf = (row: TrafficSpanRow): TrafficPrompt | undefined => (row.model === null ? undefined : trafficPromptOf(row, targetsOf(row.model)));

  /** The prompts of `ids` by span id, or a 400 naming the first that is not a recorded prompt the caller may use. */
  async function promptsNamed(ids: readonly string[], caller: RunCaller, paramOf: (index: number) => string): Promise<Map<string, { row: TrafficSpanRow; prompt: TrafficPrompt }>> {
    const found = new Map<string, { row: TrafficSpanRow; prompt: TrafficPrompt }>();
    for (const row of await getTrafficSpans(db(), [...new Set(ids)], visibilityOf(caller))) {
      const prompt = promptOf(row);
      if (prompt !== undefined) found.set(row.id, { row, prompt });
    }
    const missing = ids.findIndex((id) => !found.has(id));
    if (missing !== -1) {
      const param = paramOf(missing);
      throw new InvalidRequestError(`invalid body: ${param}: '${ids[missing]!.slice(0, 200)}' is not a recorded first-turn chat call this key can see; list them with GET /v1/cache/traffic`, { param });
    }
    return found;
  }

  app.get('/v1/cache/traffic', async (request): Promise<TrafficPageView> => {
    const query = readTrafficQuery(request.query, new Date(), (error) => toInvalidRequestError(error, 'query'));
    const rows = await listTrafficSpans(db(), query, visibilityOf(callerOf(request)));
    const data = rows.flatMap((row) => {
      const prompt = promptOf(row);
      return prompt === undefined ? [] : [promptView(row, prompt)];
    });
    const last = rows.at(-1);
    return { since: query.since.toISOString(), until: query.until.toISOString(), data, next_cursor: rows.length === query.limit && last !== undefined ? encodeTrafficCursor(last) : null };
  });

  app.post('/v1/cache/traffic/pairs', async (request, reply): Promise<TrafficPairsView> => {
    const parsed = pairsBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'body');
    const { model, span_ids: ids } = parsed.data;
    if (!app.gantry.database.hasVector) {
      throw new InvalidRequestError(
        'calibrating from traffic finds each prompt\'s nearest earlier prompt with pgvector, which this database lacks: install the vector extension on the server and restart the gateway, or calibrate on labelled pairs (--pairs)',
        { status: 501 },
      );
    }
    const caller = callerOf(request);
    const named = await promptsNamed(ids, caller, (index) => `span_ids[${index}]`);
    const chronological = [...named.values()].sort((left, right) => left.row.startedAt.getTime() - right.row.startedAt.getTime() || left.row.id.localeCompare(right.row.id));
    const distinct = firstOfEachPrompt(chronological.map((each) => ({ ...each, text: each.prompt.text, partition: each.prompt.partition })));
    const { embeddings, calls } = await embedAll(trafficEmbedder(app.gantry, model, caller, localEmbedder), model, distinct.map((each) => each.text), abortOnClientClose(reply).signal);
    let neighbours;
    try {
      const prompts = distinct.map((each, index) => ({ partition: each.partition, embedding: embeddings[index]! }));
      neighbours = await nearestEarlierPrompts(db(), prompts, { sharedSession: app.gantry.database.kind === 'pglite' });
    } catch (error) {
      if (error instanceof RangeError) throw new GatewayError('provider_error', 502, `the embeddings of '${model}' cannot be compared: ${error.message}`, false, { param: 'model' });
      throw error;
    }
    const pairs = neighbours.filter((each) => each.similarity >= MIN_TRAFFIC_PAIR_SIMILARITY);
    return {
      model,
      prompts: named.size,
      distinct_prompts: distinct.length,
      embedding_calls: model === LOCAL_EMBEDDING_MODEL ? 0 : calls,
      without_earlier: distinct.length - neighbours.length,
      below_floor: neighbours.length - pairs.length,
      min_similarity: MIN_TRAFFIC_PAIR_SIMILARITY,
      pairs: pairs.map((each) => ({ span_id: distinct[each.index]!.row.id, earlier_span_id: distinct[each.earlierIndex]!.row.id, similarity: each.similarity })),
    };
  });

  /** The judge a labels request names, with the cache config's judge, model and threshold as defaults; a 400 when it needs a model none names. */
  function judgeChoice(body: z.infer<typeof labelsBody>): TrafficJudgeChoice {
    const semantic = app.gantry.config.cache.semantic;
    const name = body.judge ?? semantic?.judge ?? 'exact';
    if (name === 'exact') {
      if (body.judge_model !== undefined) throw new InvalidRequestError('invalid body: judge_model: the exact judge compares answers itself and takes no model; drop judge_model, or pick judge embedding or llm', { param: 'judge_model' });
      return { name };
    }
    const model = body.judge_model ?? (name === 'llm' ? semantic?.judgeModel : semantic?.embeddingModel);
    if (model === undefined) {
      const what = name === 'llm' ? 'a chat model (alias or provider/model) to ask' : 'an embeddings model (alias, provider/model or local) to compare answers with';
      throw new InvalidRequestError(`invalid body: judge_model: the ${name} judge needs ${what}, and cache.semantic names none`, { param: 'judge_model' });
    }
    return name === 'llm' ? { name, model } : { name, model, threshold: body.judge_threshold ?? semantic?.judgeThreshold ?? DEFAULT_JUDGE_THRESHOLD };
  }

  app.post('/v1/cache/traffic/labels', async (request, reply): Promise<TrafficLabelsView> => {
    const parsed = labelsBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'body');
    const body = parsed.data;
    const choice = judgeChoice(body);
    const caller = callerOf(request);
    const newer = await promptsNamed(body.pairs.map((pair) => pair.span_id), caller, (index) => `pairs[${index}].span_id`);
    const earlier = await promptsNamed(body.pairs.map((pair) => pair.earlier_span_id), caller, (index) => `pairs[${index}].earlier_span_id`);
    const signal = abortOnClientClose(reply).signal;
    const replay = trafficReplayer(app.gantry, caller);
    const options = {
      judge: trafficJudge(app.gantry, caller, choice, localEmbedder),
      freshAnswer: async (prompt: TrafficPrompt) => (body.replay ? replay(prompt.request, signal) : prompt.answer),
      caller: { apiKeyId: caller.apiKeyId, teamId: caller.teamId },
      signal,
    };
    const labels = await Promise.all(
      body.pairs.map(async (pair) => ({
        span_id: pair.span_id,
        earlier_span_id: pair.earlier_span_id,
        same: await labelTrafficPair({ newer: newer.get(pair.span_id)!.prompt, earlier: earlier.get(pair.earlier_span_id)!.prompt }, options),
      })),
    );
    return { judge: choice.name, judge_model: choice.name === 'exact' ? null : choice.model, replay: body.replay, labels };
  });
};

export default cacheTrafficRoutes;
