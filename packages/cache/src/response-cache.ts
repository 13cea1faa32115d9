import { addCacheHits, findCacheEntry, newId, upsertCacheEntry, type CacheAddress, type GantryDb } from '@gantry/db';
import { ChatResultBuilder, unfoldChatResult } from '@gantry/formats';
import { readStoredResult, storeChatResult, type CallMiddleware, type CallMiddlewareContext, type ChatRequest, type ChatResult, type StreamEvent, type Usage, type WrapCallOptions } from '@gantry/spec';
import { readCacheControls } from './cache-controls.ts';
import { exactCacheKey } from './cache-key.ts';
import { settingsFor, type CacheConfig, type CacheSettings } from './cache-settings.ts';

/** What the cache needs from the gateway. */
export interface ResponseCacheOptions {
  db: GantryDb;
  config: CacheConfig;
  /** Micro-dollars an answer of `target` with `usage` costs (what a hit saves), or undefined when unpriced. */
  costOf: (target: string, usage: Usage | undefined) => number | undefined;
  /** A write that failed (the answer was served; only its caching was lost). */
  onWriteError: (error: unknown) => void;
  /** How often served hits are counted into their entries, in ms. */
  hitFlushMs?: number;
  now?: () => Date;
}

/** What the cache does for one call, decided before it goes inward. */
type Plan =
  | { kind: 'bypass'; reason: string }
  | { kind: 'cache'; address: CacheAddress; read: boolean; write: boolean; ttlSeconds: number; target: string };

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
 * the router (the call is recorded as answered by `cache`, costs nothing and releases its
 * reservation), a stream hit unfolds the stored result into events. Misses are stored after the
 * answer left, off the caller's path; cut streams, errors, `n > 1` and sampled requests
 * (temperature above 0, unless configured) are not. Every answer says what happened in
 * `x-gantry-cache`; `x-gantry-cache-key` names the entry for `DELETE /admin/cache`.
 */
export class ResponseCache implements CallMiddleware {
  readonly name = 'cache';
  readonly #options: ResponseCacheOptions;
  readonly #now: () => Date;
  readonly #hits = new Map<string, { count: number; at: Date }>();
  readonly #writes = new Set<Promise<void>>();
  #hitTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: ResponseCacheOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  #plan(request: ChatRequest, context: CallMiddlewareContext): Plan {
    const settings = settingsFor(this.#options.config, request.model, context.targets, context.apiKeyId);
    const controls = readCacheControls(context.headers);
    if (settings.mode === 'off') return { kind: 'bypass', reason: 'cache off for this model or key' };
    if (!controls.read && !controls.write) return { kind: 'bypass', reason: 'the request said not to cache' };
    if ((request.n ?? 1) > 1) return { kind: 'bypass', reason: 'n > 1' };
    if (!settings.cacheSampled && request.temperature !== undefined && request.temperature > 0) return { kind: 'bypass', reason: 'temperature above 0' };
    const address = { scope: scopeOf(settings, context), namespace: controls.namespace, keyHash: exactCacheKey(request, context.targets) };
    return { kind: 'cache', address, read: controls.read, write: controls.write, ttlSeconds: controls.ttlSeconds ?? settings.ttlSeconds, target: context.targets[0] ?? request.model };
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
    const entry = await findCacheEntry(this.#options.db, plan.address, this.#now());
    if (entry === undefined) return undefined;
    this.#countHit(entry.id);
    this.#say(context, 'hit-exact', plan, { cache_entry_id: entry.id, cache_saved_micros: entry.costMicros, cache_entry_created_at: entry.createdAt.toISOString() });
    return resultOf(entry.result);
  }

  /** Stores an answer after the caller has it: a failed write loses the entry, never the answer. */
  #store(plan: Extract<Plan, { kind: 'cache' }>, result: ChatResult): void {
    if (!plan.write || !cacheable(result)) return;
    const now = this.#now();
    const write = upsertCacheEntry(this.#options.db, {
      ...plan.address,
      id: newId(),
      target: plan.target,
      result: storeChatResult(result) as unknown as Record<string, unknown>,
      costMicros: this.#options.costOf(plan.target, result.usage) ?? 0,
      createdAt: now,
      expiresAt: new Date(now.getTime() + plan.ttlSeconds * 1000),
    })
      .catch(this.#options.onWriteError)
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
    this.#say(context, 'miss', plan);
    const result = await next();
    setImmediate(() => this.#store(plan, result));
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
    this.#say(context, 'miss', plan);
    const stream = await next();
    return plan.write ? this.#storedWhenDone(plan, stream) : stream;
  }

  /** Passes the stream on and stores its answer only if it ran to its end: a cut stream is never cached. */
  async *#storedWhenDone(plan: Extract<Plan, { kind: 'cache' }>, stream: AsyncIterable<StreamEvent>): AsyncIterable<StreamEvent> {
    const builder = new ChatResultBuilder();
    for await (const event of stream) {
      builder.push(event);
      yield event;
    }
    this.#store(plan, builder.result());
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
    await addCacheHits(this.#options.db, hits).catch(this.#options.onWriteError);
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
