import { LRUCache } from 'lru-cache';
import { addCacheHits, findCacheEntry, isDataError, newId, upsertCacheEntry, type CacheAddress, type CachedAnswer, type GantryDb } from '@gantry/db';
import { ChatResultBuilder, unfoldChatResult } from '@gantry/formats';
import { readStoredResult, storeChatResult, type CallMiddleware, type CallMiddlewareContext, type ChatRequest, type ChatResult, type StreamEvent, type Usage, type WrapCallOptions } from '@gantry/spec';
import { readCacheControls } from './cache-controls.ts';
import { exactCacheKey } from './cache-key.ts';
import { settingsFor, type CacheConfig, type CacheSettings } from './cache-settings.ts';
import type { SemanticLayer, SemanticMiss } from './semantic/semantic-layer.ts';

/** What the cache needs from the gateway. */
export interface ResponseCacheOptions {
  db: GantryDb;
  config: CacheConfig;
  /** Micro-dollars an answer of `target` with `usage` costs (what a hit saves), or undefined when unpriced. */
  costOf: (target: string, usage: Usage | undefined) => number | undefined;
  /** A cache read or write that failed: the call went on as a miss, or only its caching was lost. */
  onWriteError: (error: unknown) => void;
  /** The semantic half, for requests whose mode is `semantic`; without it they are cached exactly. */
  semantic?: SemanticLayer;
  /** How often served hits are counted into their entries, in ms. */
  hitFlushMs?: number;
  /**
   * How long this instance serves an entry it has seen without asking Postgres again, in ms
   * (default 5000; 0: always ask). Bounds how long a delete made on another instance can go
   * unseen here; a delete made here takes effect at once.
   */
  recentMs?: number;
  now?: () => Date;
}

/** What the cache does for one call, decided before it goes inward. */
type Plan =
  | { kind: 'bypass'; reason: string }
  | { kind: 'cache'; address: CacheAddress; read: boolean; write: boolean; ttlSeconds: number; target: string; semantic: boolean; hitCharge: number };

/** `x-gantry-cache` values. */
type Outcome = 'hit-exact' | 'hit-semantic' | 'miss' | 'bypass';

function scopeOf(settings: CacheSettings, context: CallMiddlewareContext): string {
  if (settings.scope === 'global') return 'global';
  if (settings.scope === 'team' && context.teamId !== null) return `team:${context.teamId}`;
  return context.apiKeyId === null ? 'master' : `key:${context.apiKeyId}`;
}

/** An answer worth keeping: every choice finished, none on an error. */
function cacheable(result: ChatResult): boolean {
  return result.choices.length > 0 && result.choices.every((choice) => choice.finishReason !== undefined && choice.finishReason !== 'error');
}

/** A stored answer's events as a stream. */
async function* replay(events: readonly StreamEvent[]): AsyncIterable<StreamEvent> {
  yield* events;
}

function resultOf(stored: Record<string, unknown>): ChatResult {
  const read = readStoredResult(stored);
  if (read.type !== 'chat') throw new Error('a cache entry holds an embeddings result');
  const { type: _type, version: _version, ...result } = read;
  return result;
}

/**
 * The response cache as a call middleware. Exact mode: the key is a hash of the targets and every
 * part of the request that changes the answer (`exactCacheKey`); a hit answers without reaching
 * the router (the call is recorded as answered by `cache` and settled at `hit_charge` × what the
 * entry's answer cost — 0 by default — with the saving in its ledger entry), a stream hit unfolds
 * the stored result into events. Misses are stored after the answer left, off the caller's path;
 * cut streams, errors, `n > 1` and sampled requests (temperature above 0, unless configured) are not. Every answer says what happened in
 * `x-gantry-cache`; `x-gantry-cache-key` names the entry for `DELETE /admin/cache`.
 */
export class ResponseCache implements CallMiddleware {
  readonly name = 'cache';
  readonly #options: ResponseCacheOptions;
  readonly #now: () => Date;
  readonly #hits = new Map<string, { count: number; at: Date }>();
  readonly #writes = new Set<Promise<void>>();
  /** Entries this instance looked up or wrote lately: a hit on one costs no round trip. */
  readonly #recent: LRUCache<string, CachedAnswer> | undefined;
  #hitTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: ResponseCacheOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    const recentMs = options.recentMs ?? 5000;
    this.#recent = recentMs > 0 ? new LRUCache({ max: 10_000, ttl: recentMs }) : undefined;
  }

  /** Drops what this instance remembers (after a delete through the admin API). */
  forgetRecent(): void {
    this.#recent?.clear();
  }

  #plan(request: ChatRequest, context: CallMiddlewareContext): Plan {
    const settings = settingsFor(this.#options.config, request.model, context.targets, context.apiKeyId);
    const controls = readCacheControls(context.headers);
    if (settings.mode === 'off') return { kind: 'bypass', reason: 'cache off for this model or key' };
    if (!controls.read && !controls.write) return { kind: 'bypass', reason: 'the request said not to cache' };
    if ((request.n ?? 1) > 1) return { kind: 'bypass', reason: 'n > 1' };
    if (!settings.cacheSampled && request.temperature !== undefined && request.temperature > 0) return { kind: 'bypass', reason: 'temperature above 0' };
    const address = { scope: scopeOf(settings, context), namespace: controls.namespace, keyHash: exactCacheKey(request, context.targets) };
    const semantic = settings.mode === 'semantic' && this.#options.semantic !== undefined && controls.read && controls.write;
    return { kind: 'cache', address, read: controls.read, write: controls.write, ttlSeconds: controls.ttlSeconds ?? settings.ttlSeconds, target: context.targets[0] ?? request.model, semantic, hitCharge: settings.hitCharge };
  }

  /** A hit is charged its configured fraction of what it saved (`cache.hit_charge`, 0 by default); the ledger keeps the saving. */
  #charge(plan: Extract<Plan, { kind: 'cache' }>, context: CallMiddlewareContext, savedMicros: number): void {
    context.setAnswerCharge({ chargeMicros: Math.round(plan.hitCharge * savedMicros), savedMicros });
  }

  #say(context: CallMiddlewareContext, outcome: Outcome, plan: Plan, extra: Record<string, unknown> = {}): void {
    context.setResponseHeader('x-gantry-cache', outcome);
    context.setAttribute('cache', outcome);
    if (plan.kind === 'bypass') context.setAttribute('cache_bypass', plan.reason);
    else context.setResponseHeader('x-gantry-cache-key', plan.address.keyHash);
    for (const [key, value] of Object.entries(extra)) context.setAttribute(key, value);
  }

  /** The live entry for a plan that reads, counted as a hit; undefined on a miss. */
  async #lookup(plan: Extract<Plan, { kind: 'cache' }>, context: CallMiddlewareContext): Promise<ChatResult | undefined> {
    if (!plan.read) return undefined;
    const now = this.#now();
    const recentKey = `${plan.address.scope}\n${plan.address.namespace}\n${plan.address.keyHash}`;
    let entry = this.#recent?.get(recentKey);
    if (entry !== undefined && entry.expiresAt <= now) entry = undefined;
    let result: ChatResult;
    try {
      if (entry === undefined) {
        entry = await findCacheEntry(this.#options.db, plan.address, now);
        if (entry === undefined) return undefined;
        this.#recent?.set(recentKey, entry);
      }
      result = resultOf(entry.result);
    } catch (error) {
      // The cache fails open: a database that does not answer, or an entry that cannot be read, is a miss.
      this.#options.onWriteError(error);
      return undefined;
    }
    this.#countHit(entry.id);
    this.#say(context, 'hit-exact', plan, { cache_entry_id: entry.id, cache_saved_micros: entry.costMicros, cache_entry_created_at: entry.createdAt.toISOString() });
    this.#charge(plan, context, entry.costMicros);
    return result;
  }

  /** Near-identical earlier prompts (semantic mode): a hit to serve, or what the answer will teach. */
  async #lookupSemantic(plan: Extract<Plan, { kind: 'cache' }>, request: ChatRequest, context: CallMiddlewareContext): Promise<{ hit: ChatResult | undefined; miss: SemanticMiss | undefined }> {
    if (!plan.semantic) return { hit: undefined, miss: undefined };
    const found = await this.#options.semantic!.lookup({ scope: plan.address.scope, namespace: plan.address.namespace }, request, context, this.#now());
    if (found.kind === 'miss') return { hit: undefined, miss: found.miss };
    this.#say(context, 'hit-semantic', plan, { cache_entry_id: found.neighbour.id, cache_saved_micros: found.neighbour.costMicros, cache_decision: found.reason });
    this.#charge(plan, context, found.neighbour.costMicros);
    return { hit: found.result, miss: undefined };
  }

  /** Stores an answer after the caller has it: a failed write loses the entry, never the answer. */
  #store(plan: Extract<Plan, { kind: 'cache' }>, result: ChatResult, semantic: SemanticMiss | undefined): void {
    if (!plan.write || !cacheable(result)) return;
    const now = this.#now();
    const costMicros = this.#options.costOf(plan.target, result.usage) ?? 0;
    const entry = { id: newId(), target: plan.target, result: storeChatResult(result) as unknown as Record<string, unknown>, costMicros, createdAt: now, expiresAt: new Date(now.getTime() + plan.ttlSeconds * 1000) };
    const recentKey = `${plan.address.scope}\n${plan.address.namespace}\n${plan.address.keyHash}`;
    // What this instance remembers for the key is replaced now (a refresh) and set once written.
    this.#recent?.delete(recentKey);
    const writes = [
      upsertCacheEntry(this.#options.db, { ...plan.address, ...entry })
        .then(() => void this.#recent?.set(recentKey, entry))
        .catch(this.#options.onWriteError),
    ];
    if (semantic !== undefined) {
      const address = { scope: plan.address.scope, namespace: plan.address.namespace };
      writes.push(this.#options.semantic!.learn(semantic, { address, target: plan.target, costMicros, ttlSeconds: plan.ttlSeconds }, result, now));
    }
    const write = Promise.all(writes)
      .then(() => undefined)
      .finally(() => this.#writes.delete(write));
    this.#writes.add(write);
  }

  async wrapComplete({ request, context, next }: WrapCallOptions<ChatResult>): Promise<ChatResult> {
    const plan = this.#plan(request, context);
    if (plan.kind === 'bypass') {
      this.#say(context, 'bypass', plan);
      return next();
    }
    const hit = await this.#lookup(plan, context);
    if (hit !== undefined) return hit;
    const semantic = await this.#lookupSemantic(plan, request, context);
    if (semantic.hit !== undefined) return semantic.hit;
    this.#say(context, 'miss', plan);
    const result = await next();
    setImmediate(() => this.#store(plan, result, semantic.miss));
    return result;
  }

  async wrapStream({ request, context, next }: WrapCallOptions<AsyncIterable<StreamEvent>>): Promise<AsyncIterable<StreamEvent>> {
    const plan = this.#plan(request, context);
    if (plan.kind === 'bypass') {
      this.#say(context, 'bypass', plan);
      return next();
    }
    const hit = await this.#lookup(plan, context);
    if (hit !== undefined) return replay(unfoldChatResult(hit));
    const semantic = await this.#lookupSemantic(plan, request, context);
    if (semantic.hit !== undefined) return replay(unfoldChatResult(semantic.hit));
    this.#say(context, 'miss', plan);
    const stream = await next();
    return plan.write ? this.#storedWhenDone(plan, stream, semantic.miss) : stream;
  }

  /** Passes the stream on and stores its answer only if it ran to its end: a cut stream is never cached. */
  async *#storedWhenDone(plan: Extract<Plan, { kind: 'cache' }>, stream: AsyncIterable<StreamEvent>, semantic: SemanticMiss | undefined): AsyncIterable<StreamEvent> {
    const builder = new ChatResultBuilder();
    for await (const event of stream) {
      builder.push(event);
      yield event;
    }
    this.#store(plan, builder.result(), semantic);
  }

  #countHit(id: string): void {
    const counted = this.#hits.get(id);
    const at = this.#now();
    if (counted === undefined) this.#hits.set(id, { count: 1, at });
    else Object.assign(counted, { count: counted.count + 1, at });
    this.#hitTimer ??= setInterval(() => void this.#flushHits(), this.#options.hitFlushMs ?? 1000).unref();
  }

  async #flushHits(): Promise<void> {
    if (this.#hits.size === 0) return;
    const hits = new Map(this.#hits);
    this.#hits.clear();
    await addCacheHits(this.#options.db, hits).catch((error: unknown) => {
      // Counted again with the next flush, unless the database refused the counts themselves (they
      // would fail again): at most one count per entry waits, however long the database is away.
      if (!isDataError(error)) {
        for (const [id, hit] of hits) {
          const since = this.#hits.get(id);
          this.#hits.set(id, since === undefined ? hit : { count: since.count + hit.count, at: since.at });
        }
      }
      this.#options.onWriteError(error);
    });
  }

  /** Waits for the entries being written and writes the hit counts (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.#writes]);
    await this.#flushHits();
  }

  /** Stops counting hits on a timer, after writing what is counted. */
  async close(): Promise<void> {
    clearInterval(this.#hitTimer);
    this.#hitTimer = undefined;
    await this.flush();
  }
}
