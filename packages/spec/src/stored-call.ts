import type { ChatRequest } from './chat-request.ts';
import type { ChatResult, Usage } from './chat-result.ts';
import type { EmbeddingRequest } from './embedding.ts';

/**
 * What a span stores as its request and result: the canonical values plus `type` and `version`,
 * so that replay can re-send a request written by any earlier Gantry. Bump the version when the
 * canonical shape changes in a way a reader must know of, and teach `readStoredRequest` the step.
 *
 * Versions: 0 — the canonical value alone (spans written before versioning); 1 — with `type` and
 * `version`.
 */
export const STORED_CALL_VERSION = 1;

export type StoredChatRequest = ChatRequest & { type: 'chat'; version: 1 };
export type StoredEmbeddingRequest = EmbeddingRequest & { type: 'embeddings'; version: 1 };
export type StoredRequest = StoredChatRequest | StoredEmbeddingRequest;

export type StoredChatResult = ChatResult & { type: 'chat'; version: 1 };
/** Vectors are large and reproducible: an embeddings span keeps their count and the usage, not the floats. */
export interface StoredEmbeddingResult {
  type: 'embeddings';
  version: 1;
  model: string;
  count: number;
  usage: Pick<Usage, 'inputTokens'>;
}
export type StoredResult = StoredChatResult | StoredEmbeddingResult;

export function storeChatRequest(request: ChatRequest): StoredChatRequest {
  return { type: 'chat', version: STORED_CALL_VERSION, ...request };
}

export function storeChatResult(result: ChatResult): StoredChatResult {
  return { type: 'chat', version: STORED_CALL_VERSION, ...result };
}

export function storeEmbeddingRequest(request: EmbeddingRequest): StoredEmbeddingRequest {
  return { type: 'embeddings', version: STORED_CALL_VERSION, ...request };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The version a stored value was written in: 0 when it has none. */
function versionOf(value: Record<string, unknown>): number {
  return value.version === undefined ? 0 : typeof value.version === 'number' ? value.version : Number.NaN;
}

function unreadable(what: string, value: unknown): Error {
  const shown = isRecord(value) ? `version ${String(value.version)}, type ${String(value.type)}` : typeof value;
  return new Error(`stored ${what} is not one this Gantry can read (${shown}); it reads versions 0 to ${STORED_CALL_VERSION}`);
}

/**
 * Reads a span's stored request, whatever version wrote it, as the current version. Throws for a
 * value no version wrote (a tool span's `{ name, arguments }`, a newer Gantry's version).
 */
export function readStoredRequest(value: unknown): StoredRequest {
  if (!isRecord(value)) throw unreadable('request', value);
  const version = versionOf(value);
  if (version === 0) {
    if (Array.isArray(value.messages) && typeof value.model === 'string') return storeChatRequest(value as unknown as ChatRequest);
    if (value.input !== undefined && typeof value.model === 'string') return storeEmbeddingRequest(value as unknown as EmbeddingRequest);
  }
  if (version === 1 && (value.type === 'chat' || value.type === 'embeddings')) return value as unknown as StoredRequest;
  throw unreadable('request', value);
}

/** Reads a span's stored result, whatever version wrote it, as the current version. */
export function readStoredResult(value: unknown): StoredResult {
  if (!isRecord(value)) throw unreadable('result', value);
  const version = versionOf(value);
  if (version === 0) {
    if (Array.isArray(value.choices)) return storeChatResult(value as unknown as ChatResult);
    if (typeof value.count === 'number' && typeof value.model === 'string' && isRecord(value.usage)) {
      return { type: 'embeddings', version: 1, model: value.model, count: value.count, usage: { inputTokens: Number(value.usage.inputTokens) } };
    }
  }
  if (version === 1 && (value.type === 'chat' || value.type === 'embeddings')) return value as unknown as StoredResult;
  throw unreadable('result', value);
}
