import { cacheConfigured, embeddingJudge, exactJudge, llmJudge, LocalEmbedder, ResponseCache, SemanticLayer, type AnswerJudge, type JudgeCaller, type ResponseCacheOptions } from '@gantry/cache';
import { callChat, callCost, callEmbeddings, type CallServices } from '@gantry/calls';
import { ensureSemanticIndex, sweepExpiredCacheEntries, sweepExpiredSemanticEntries, type Database } from '@gantry/db';
import type { ChatRequest, ChatResult } from '@gantry/spec';
import { LOCAL_EMBEDDING_MODEL, type SemanticCacheSettings } from './config/cache-config.ts';
import { ConfigError } from './config/interpolate-env.ts';
import type { GatewayConfig } from './config/load-config.ts';

/** Expired entries deleted per statement; a sweep repeats while it finds this many. */
const SWEEP_BATCH = 1000;
const SWEEP_EVERY_MS = 60_000;

const callerOf = (caller: JudgeCaller) => ({ ...caller, master: caller.apiKeyId === null });

/** How the semantic layer and the embedding judge embed texts, as a caller. */
type Embed = (texts: string[], caller: JudgeCaller, signal: AbortSignal) => Promise<number[][]>;

/** Embeddings through the pipeline as the caller: recorded (a run named `cache-embedding`) and billed like any call. */
function pipelineEmbedder(services: () => CallServices, model: string): Embed {
  return async (texts, caller, signal) => {
    const { result } = await callEmbeddings(services(), { request: { model, input: texts }, caller: callerOf(caller), headers: { 'x-gantry-run-name': 'cache-embedding' } }, signal);
    return result.embeddings.map((vector) => (typeof vector === 'string' ? [] : vector));
  };
}

/** The built-in model on a worker thread: no provider call, so nothing to record or bill. */
function localEmbedder(local: LocalEmbedder): Embed {
  return (texts, _caller, signal) => local.embed(texts, signal);
}

/** The response cache whose close also stops the local embedder's worker (the gateway closes the cache once the server takes no more calls). */
class ResponseCacheWithLocalEmbedder extends ResponseCache {
  readonly #local: LocalEmbedder;

  constructor(options: ResponseCacheOptions, local: LocalEmbedder) {
    super(options);
    this.#local = local;
  }

  override async close(): Promise<void> {
    try {
      // Pending writes may still judge with the embedder: they finish first.
      await super.close();
    } finally {
      await this.#local.close();
    }
  }
}

/** A judge model's verdict, asked through the pipeline with the cache off for that call (it must not judge itself). */
function completer(services: () => CallServices) {
  return async (request: ChatRequest, caller: JudgeCaller, signal: AbortSignal): Promise<ChatResult> => {
    const outcome = await callChat(services(), { request, caller: callerOf(caller), headers: { 'x-gantry-cache': 'off', 'x-gantry-run-name': 'cache-judge' } }, signal);
    if (outcome.type !== 'result') throw new Error('the cache judge asked for a whole answer and got a stream');
    return outcome.result;
  };
}

function judgeOf(settings: SemanticCacheSettings, services: () => CallServices, embed: Embed): AnswerJudge {
  if (settings.judge === 'embedding') return embeddingJudge(embed, settings.judgeThreshold);
  if (settings.judge === 'llm') return llmJudge(completer(services), settings.judgeModel!);
  return exactJudge;
}

/** The semantic half: lookups and the embedding judge embed the same way. */
function semanticLayerOf(database: Database, settings: SemanticCacheSettings, embed: Embed, services: () => CallServices, onError: (error: unknown) => void): SemanticLayer {
  return new SemanticLayer({
    db: database.db,
    embed,
    embedder: settings.embeddingModel,
    judge: judgeOf(settings, services, embed),
    delta: settings.delta,
    anyTurn: settings.anyTurn,
    onError,
    ensureIndex: (dimensions) => ensureSemanticIndex(database, dimensions),
  });
}

/**
 * The response cache middleware when the config enables it anywhere, else undefined (no cache
 * work, no `x-gantry-cache` header). `services` is read at call time: what an answer cost (what
 * each hit saves), and the pipeline the semantic layer embeds and judges through.
 */
export function createResponseCache(config: GatewayConfig, database: Database, services: () => CallServices, onError: (error: unknown) => void): ResponseCache | undefined {
  if (!cacheConfigured(config.cache)) return undefined;
  const semantic = config.cache.semantic;
  const { db } = database;
  if (semantic !== undefined && !database.hasVector) {
    throw new ConfigError('cache.semantic: the semantic cache searches embeddings with pgvector, which this Postgres lacks: install the vector extension (CREATE EXTENSION vector needs it on the server), or use mode: exact');
  }
  // `local` is reserved: the built-in model, never an alias or provider/model of that name.
  const local = semantic?.embeddingModel === LOCAL_EMBEDDING_MODEL ? new LocalEmbedder() : undefined;
  const options: ResponseCacheOptions = {
    db,
    config: config.cache,
    costOf: (target, usage) => {
      const { router, prices } = services();
      return callCost(prices, router.route(target).targets[0], usage);
    },
    onWriteError: onError,
    ...(semantic === undefined ? {} : { semantic: semanticLayerOf(database, semantic, local === undefined ? pipelineEmbedder(services, semantic.embeddingModel) : localEmbedder(local), services, onError) }),
  };
  return local === undefined ? new ResponseCache(options) : new ResponseCacheWithLocalEmbedder(options, local);
}

/** Deletes expired entries every minute, from every instance (each row goes once: SKIP LOCKED). */
export function startCacheSweeper(db: Database['db'], onError: (error: unknown) => void): { close(): void } {
  const sweep = async () => {
    while ((await sweepExpiredCacheEntries(db, new Date(), SWEEP_BATCH)) === SWEEP_BATCH);
    while ((await sweepExpiredSemanticEntries(db, new Date(), SWEEP_BATCH)) === SWEEP_BATCH);
  };
  const timer = setInterval(() => void sweep().catch(onError), SWEEP_EVERY_MS);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
