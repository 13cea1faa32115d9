import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import type { ChatRequest } from '@gantry/spec';

/** Bumped when what the key covers changes: old entries then simply stop matching. */
const KEY_VERSION = 1;

/**
 * Fields that never change the answer: how it is delivered (`stream`, `includeUsage`), who asked
 * (`user`), and the name the client addressed (the targets it resolved to are in the key instead,
 * so two aliases of the same model share entries and re-pointing an alias does not serve the old
 * model's answers).
 */
function answerDeterminants(request: ChatRequest): Omit<ChatRequest, 'stream' | 'includeUsage' | 'user' | 'model'> {
  const { stream: _stream, includeUsage: _includeUsage, user: _user, model: _model, ...rest } = request;
  return rest;
}

/**
 * The exact cache key: hex SHA-256 of the canonical JSON (keys sorted, RFC 8259 text) of the
 * targets the call may reach, in order, and everything in the request that changes the answer —
 * every message with its tool calls and tool results, tools, tool choice, response format,
 * sampling, `n`, `seed`, reasoning and provider options.
 */
export function exactCacheKey(request: ChatRequest, targets: readonly string[]): string {
  const canonical = stringify({ v: KEY_VERSION, targets, request: answerDeterminants(request) });
  return createHash('sha256').update(canonical ?? '').digest('hex');
}
