import { randomUUID } from 'node:crypto';
import { ProviderUnreachableError, type StreamEvent } from '@gantry/spec';
import { decodeToolArguments } from '../tool-arguments.ts';
import { anthropicStreamError } from './anthropic-error.ts';
import { decodeAnthropicUsage, mergeAnthropicUsage } from './anthropic-usage.ts';
import { anthropicStreamEventSchema, type AnthropicUsage } from './anthropic-wire-schemas.ts';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.ts';

export interface AnthropicStreamDecoder {
  /**
   * Decodes one SSE frame: its `data:` payload and, optionally, its `event:` name (the payload's
   * own `type` decides; the name only matters for an `error` frame whose data is not JSON).
   * Throws ProviderHttpError on an `event: error` frame.
   */
  decode(data: string, event?: string): StreamEvent[];
  /** True once `message_stop` was seen. */
  readonly done: boolean;
}

type OpenBlock = { kind: 'text' } | { kind: 'thinking' } | { kind: 'tool'; toolIndex: number; sentArguments: boolean };

/**
 * Decodes an Anthropic Messages stream into canonical events. Tool call `index` counts tool_use
 * blocks (0, 1, 2…), not Anthropic's block index. Usage is emitted once, after `finish`, from the
 * `message_start` input counts merged with the `message_delta` counts.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#event-types
 */
export function createAnthropicStreamDecoder(provider: string): AnthropicStreamDecoder {
  let done = false;
  let usage: AnthropicUsage | undefined;
  let toolCalls = 0;
  const blocks = new Map<number, OpenBlock>();

  function malformed(detail: string): ProviderUnreachableError {
    return new ProviderUnreachableError(provider, `provider ${provider} sent a malformed stream frame: ${detail}`);
  }

  return {
    get done() {
      return done;
    },
    decode(data: string, event?: string): StreamEvent[] {
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        if (event === 'error') throw anthropicStreamError(provider, { error: { type: 'api_error', message: data.slice(0, 300) } });
        throw malformed(`not JSON: ${data.slice(0, 200)}`);
      }
      const parsed = anthropicStreamEventSchema.safeParse(json);
      if (!parsed.success) {
        // Event types newer than this decoder are skipped, as Anthropic's versioning policy asks.
        const type = (json as { type?: unknown } | null)?.type;
        if (typeof type === 'string' && !KNOWN_EVENTS.has(type) && event !== 'error') return [];
        throw malformed(`${typeof type === 'string' ? type : 'unknown'}: ${parsed.error.issues[0]?.message ?? ''}`);
      }
      const frame = parsed.data;
      const events: StreamEvent[] = [];
      switch (frame.type) {
        case 'message_start':
          if (frame.message.usage != null) usage = mergeAnthropicUsage(usage, frame.message.usage);
          events.push({
            type: 'response-start',
            id: frame.message.id ?? `msg_${randomUUID().replaceAll('-', '')}`,
            model: frame.message.model ?? '',
            created: Math.floor(Date.now() / 1000),
          });
          break;
        case 'content_block_start': {
          const block = frame.content_block as Record<string, unknown>;
          if (block.type === 'text') {
            blocks.set(frame.index, { kind: 'text' });
            if (typeof block.text === 'string' && block.text !== '') events.push({ type: 'text-delta', delta: block.text });
          } else if (block.type === 'thinking') {
            blocks.set(frame.index, { kind: 'thinking' });
            if (typeof block.thinking === 'string' && block.thinking !== '') events.push({ type: 'reasoning-delta', delta: block.thinking });
          } else if (block.type === 'redacted_thinking' && typeof block.data === 'string') {
            events.push({ type: 'reasoning-delta', delta: '', redactedData: block.data });
          } else if (block.type === 'tool_use') {
            const state = { kind: 'tool' as const, toolIndex: toolCalls++, sentArguments: false };
            blocks.set(frame.index, state);
            const id = typeof block.id === 'string' ? block.id : `toolu_${randomUUID().replaceAll('-', '')}`;
            events.push({ type: 'tool-call-start', index: state.toolIndex, id, name: typeof block.name === 'string' ? block.name : '' });
            // The start carries `input: {}`; the arguments follow as input_json_delta pieces.
            const input = block.input;
            if (typeof input === 'object' && input !== null && Object.keys(input).length > 0) {
              events.push({ type: 'tool-call-delta', index: state.toolIndex, argumentsDelta: decodeToolArguments(input) });
              state.sentArguments = true;
            }
          }
          break;
        }
        case 'content_block_delta': {
          const block = blocks.get(frame.index);
          const delta = frame.delta;
          if (delta.type === 'text_delta' && block?.kind === 'text' && delta.text) events.push({ type: 'text-delta', delta: delta.text });
          else if (delta.type === 'thinking_delta' && block?.kind === 'thinking' && delta.thinking) {
            events.push({ type: 'reasoning-delta', delta: delta.thinking });
          } else if (delta.type === 'signature_delta' && block?.kind === 'thinking' && delta.signature !== undefined) {
            events.push({ type: 'reasoning-delta', delta: '', signature: delta.signature });
          } else if (delta.type === 'input_json_delta' && block?.kind === 'tool' && delta.partial_json) {
            // The first piece is always "" and is skipped with every other empty one.
            events.push({ type: 'tool-call-delta', index: block.toolIndex, argumentsDelta: delta.partial_json });
            block.sentArguments = true;
          }
          // citations_delta and deltas of server tool blocks have no canonical form.
          break;
        }
        case 'content_block_stop': {
          const block = blocks.get(frame.index);
          if (block?.kind === 'tool') {
            // A call with no arguments streams no JSON at all; say `{}` as the non-streaming response does.
            if (!block.sentArguments) events.push({ type: 'tool-call-delta', index: block.toolIndex, argumentsDelta: '{}' });
            events.push({ type: 'tool-call-end', index: block.toolIndex });
          }
          blocks.delete(frame.index);
          break;
        }
        case 'message_delta': {
          if (frame.usage != null) usage = mergeAnthropicUsage(usage, frame.usage);
          const reason = frame.delta.stop_reason;
          events.push(reason == null ? { type: 'finish', finishReason: 'other' } : { type: 'finish', finishReason: mapAnthropicStopReason(reason), rawFinishReason: reason });
          if (usage !== undefined) events.push({ type: 'usage', usage: decodeAnthropicUsage(usage) });
          break;
        }
        case 'message_stop':
          done = true;
          break;
        case 'ping':
          break;
        case 'error':
          throw anthropicStreamError(provider, frame);
      }
      return events;
    },
  };
}

const KNOWN_EVENTS = new Set(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping', 'error']);
