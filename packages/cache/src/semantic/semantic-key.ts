import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import type { ChatRequest, Message } from '@gantry/spec';

const PARTITION_VERSION = 1;

/** Where a request may find semantic neighbours, and the text it is found by. */
export interface SemanticKey {
  /** Hex SHA-256 of the targets and everything in the request but the last user message. */
  partitionHash: string;
  /** The last user message's text: what is embedded. */
  text: string;
}

function textOf(message: Message): string | undefined {
  const parts = message.content as readonly { type: string; text?: string }[];
  // A message with an image or a file is not matched by its words alone.
  if (parts.some((part) => part.type !== 'text')) return undefined;
  return parts.map((part) => part.text ?? '').join('\n');
}

/**
 * The semantic key of a request, or undefined when it may only be served exactly: not a first turn
 * (an assistant or tool message is present) unless `anyTurn`, no user message last, or a last user
 * message that is not plain text. Everything but the last user message — system prompt, earlier
 * messages, tools, tool choice, response format, sampling, the targets — must match exactly: that
 * is the partition; only the last user message is compared by meaning.
 */
export function semanticKey(request: ChatRequest, targets: readonly string[], options: { anyTurn: boolean }): SemanticKey | undefined {
  const last = request.messages.at(-1);
  if (last?.role !== 'user') return undefined;
  if (!options.anyTurn && request.messages.some((message) => message.role === 'assistant' || message.role === 'tool')) return undefined;
  const text = textOf(last);
  if (text === undefined || text.trim() === '') return undefined;
  const { stream: _stream, includeUsage: _includeUsage, user: _user, model: _model, messages, ...rest } = request;
  const canonical = stringify({ v: PARTITION_VERSION, targets, request: { ...rest, messages: messages.slice(0, -1) } });
  return { partitionHash: createHash('sha256').update(canonical ?? '').digest('hex'), text };
}
