import { addSemanticObservation, insertSemanticEntry, nearestSemanticEntry, newId, type CacheAddress, type GantryDb, type SemanticNeighbour } from '@gantry/db';
import { storeChatResult, type CallMiddlewareContext, type ChatRequest, type ChatResult } from '@gantry/spec';
import type { AnswerJudge, JudgeCaller } from './answer-judges.ts';
import { decide, MAX_OBSERVATIONS } from './entry-policy.ts';
import { semanticKey, type SemanticKey } from './semantic-key.ts';

/** What the semantic layer needs from the gateway. */
export interface SemanticLayerOptions {
  db: GantryDb;
  /** Embeds texts through Gantry's own pipeline as the caller (recorded and billed like any call). */
  embed: (texts: string[], caller: JudgeCaller, signal: AbortSignal) => Promise<number[][]>;
  /** What embeds, for the span (`cache_embedder`): the model's name, or `local`. */
  embedder: string;
  /** Labels an exploration: was the neighbour's answer right for the new prompt? */
  judge: AnswerJudge;
  /** Largest error rate a served answer may have (vCache's δ). */
  delta: number;
  /** Also match turns after the first (off: only requests with no assistant or tool message). */
  anyTurn: boolean;
  onError: (error: unknown) => void;
  /** Builds the HNSW index for embeddings of this many dimensions (once each; lookups scan exactly until it exists). */
  ensureIndex?: (dimensions: number) => Promise<unknown>;
  random?: () => number;
}

/** A semantic lookup that did not serve: what the answer, once known, teaches the cache. */
export interface SemanticMiss {
  key: SemanticKey;
  embedding: number[];
  /** The nearest entry, explored: the fresh answer labels it. */
  neighbour: SemanticNeighbour | undefined;
  caller: JudgeCaller;
}

export type SemanticLookup = { kind: 'hit'; result: ChatResult; neighbour: SemanticNeighbour; reason: string } | { kind: 'miss'; miss: SemanticMiss | undefined };

function resultOf(stored: Record<string, unknown>): ChatResult {
  const { type: _type, version: _version, ...result } = stored as unknown as ChatResult & { type: string; version: number };
  return result;
}

/**
 * The semantic half of the cache: the last user message of a first turn is embedded and its
 * nearest entry in the same partition (everything else equal) found with pgvector; the entry's
 * own labelled history decides (`decide`: serve within the error bound δ, else explore). An
 * exploration's fresh answer is judged against the neighbour's and the label appended to it, and
 * the fresh answer becomes an entry of its own when the neighbour was wrong (or missing). Nothing
 * here fails a call: an embedder or database error is a miss.
 */
export class SemanticLayer {
  readonly #options: SemanticLayerOptions;
  readonly #indexed = new Set<number>();

  constructor(options: SemanticLayerOptions) {
    this.#options = options;
  }

  /** The first embedding of a dimension count starts its index build, off the call's path. */
  #index(dimensions: number): void {
    if (this.#indexed.has(dimensions) || this.#options.ensureIndex === undefined) return;
    this.#indexed.add(dimensions);
    this.#options.ensureIndex(dimensions).catch((error: unknown) => {
      this.#indexed.delete(dimensions);
      this.#options.onError(error);
    });
  }

  async lookup(address: Omit<CacheAddress, 'keyHash'>, request: ChatRequest, context: CallMiddlewareContext, now: Date): Promise<SemanticLookup> {
    const key = semanticKey(request, context.targets, { anyTurn: this.#options.anyTurn });
    if (key === undefined) return { kind: 'miss', miss: undefined };
    try {
      const [embedding] = await this.#options.embed([key.text], { apiKeyId: context.apiKeyId, teamId: context.teamId }, context.signal);
      if (embedding === undefined || embedding.length === 0) return { kind: 'miss', miss: undefined };
      this.#index(embedding.length);
      const neighbour = await nearestSemanticEntry(this.#options.db, { ...address, partitionHash: key.partitionHash, embedding, now });
      if (neighbour !== undefined) {
        const decision = decide(Math.max(-1, Math.min(1, neighbour.similarity)), neighbour.observations, { delta: this.#options.delta, ...(this.#options.random === undefined ? {} : { random: this.#options.random }) });
        context.setAttribute('cache_embedder', this.#options.embedder);
        context.setAttribute('cache_similarity', neighbour.similarity);
        context.setAttribute('cache_neighbour_id', neighbour.id);
        if (decision.action === 'serve') return { kind: 'hit', result: resultOf(neighbour.result), neighbour, reason: decision.reason };
        context.setAttribute('cache_explore', decision.reason);
      }
      return { kind: 'miss', miss: { key, embedding, neighbour, caller: { apiKeyId: context.apiKeyId, teamId: context.teamId } } };
    } catch (error) {
      if (!context.signal.aborted) this.#options.onError(error);
      return { kind: 'miss', miss: undefined };
    }
  }

  /**
   * After the answer left: the fresh answer labels the explored neighbour (right or wrong for this
   * prompt, at this similarity). Where the neighbour was wrong, or there was none, the prompt and
   * its answer become an entry of their own; where it was right, the neighbour already answers
   * such prompts, and a near-copy of it would only split its observations.
   */
  async learn(miss: SemanticMiss, entry: { address: Omit<CacheAddress, 'keyHash'>; target: string; costMicros: number; ttlSeconds: number }, fresh: ChatResult, now: Date): Promise<void> {
    const { db } = this.#options;
    try {
      const neighbour = miss.neighbour;
      if (neighbour !== undefined) {
        const correct = await this.#options.judge({ prompt: miss.key.text, fresh, cached: resultOf(neighbour.result), caller: miss.caller, signal: AbortSignal.timeout(60_000) });
        await addSemanticObservation(db, neighbour.id, { similarity: neighbour.similarity, correct }, MAX_OBSERVATIONS);
        if (correct) return;
      }
      await insertSemanticEntry(db, {
        ...entry.address,
        id: newId(),
        partitionHash: miss.key.partitionHash,
        embedding: miss.embedding,
        prompt: miss.key.text,
        target: entry.target,
        result: storeChatResult(fresh) as unknown as Record<string, unknown>,
        costMicros: entry.costMicros,
        createdAt: now,
        expiresAt: new Date(now.getTime() + entry.ttlSeconds * 1000),
      });
    } catch (error) {
      this.#options.onError(error);
    }
  }
}
