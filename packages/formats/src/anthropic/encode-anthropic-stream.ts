import { randomUUID } from 'node:crypto';
import type { FinishReason, GatewayError, StreamEvent, Usage } from '@gantry/spec';
import { encodeAnthropicError } from './anthropic-error.ts';
import { encodeAnthropicUsage } from './anthropic-usage.ts';
import { toAnthropicStopReason } from './map-anthropic-stop-reason.ts';

export interface AnthropicStreamEncoder {
  /** SSE text for one event (`event: …\ndata: {…}\n\n` frames), or '' when it has no wire form yet. */
  encode(event: StreamEvent): string;
  /** Closes whatever is open and ends the message (`message_delta`, `message_stop`) if not done yet. */
  end(): string;
  /** An `event: error` frame, which the Anthropic SDKs raise as an APIError. */
  error(error: GatewayError): string;
}

export interface AnthropicStreamEncoderOptions {
  /** The model name the client sees; defaults to the model in `response-start`. */
  model?: string;
}

type Open =
  | { kind: 'text'; index: number }
  | { kind: 'thinking'; index: number; signed: boolean }
  | { kind: 'redacted'; index: number }
  | { kind: 'tool'; index: number; toolIndex: number };

function frame(type: string, payload: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;
}

/**
 * Encodes canonical events as an Anthropic Messages stream: `message_start`, one content block per
 * text run, thinking run and tool call (indices 0, 1, 2…, each closed before the next opens),
 * `message_delta` with stop_reason and usage, `message_stop`. Events may come from any upstream:
 * while a tool call's block is open, other content is held back and replayed after its
 * `tool-call-end`, so interleaved deltas are never lost. `message_start` reports zero usage (the
 * counts are known only at the end); `message_delta` carries every count, as live Anthropic streams do.
 * Events of choices other than 0 are ignored: Anthropic has no `n`.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
export function createAnthropicStreamEncoder(options: AnthropicStreamEncoderOptions = {}): AnthropicStreamEncoder {
  let started = false;
  let stopped = false;
  let nextIndex = 0;
  let open: Open | null = null;
  let held: StreamEvent[] = [];
  let finish: { reason: FinishReason; raw: string | undefined } | undefined;
  let usage: Usage | undefined;

  function messageStart(id: string, model: string): string {
    started = true;
    const message = { id, type: 'message', role: 'assistant', model: options.model ?? model, content: [], stop_reason: null, stop_sequence: null };
    return frame('message_start', { message: { ...message, usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 } } });
  }

  function ensureStarted(): string {
    return started ? '' : messageStart(`msg_${randomUUID().replaceAll('-', '')}`, '');
  }

  function close(): string {
    if (open === null) return '';
    const out = frame('content_block_stop', { index: open.index });
    open = null;
    return out;
  }

  function openBlock(block: Record<string, unknown>, state: Open): string {
    const out = close() + frame('content_block_start', { index: state.index, content_block: block });
    open = state;
    return out;
  }

  function delta(delta: Record<string, unknown>): string {
    return frame('content_block_delta', { index: open?.index ?? 0, delta });
  }

  /** While a tool block is open, everything but that call's own deltas and end waits. */
  function isHeld(event: StreamEvent): boolean {
    if (open?.kind !== 'tool') return false;
    if (event.type === 'tool-call-delta' || event.type === 'tool-call-end') return event.index !== open.toolIndex;
    return event.type === 'text-delta' || event.type === 'refusal-delta' || event.type === 'reasoning-delta' || event.type === 'tool-call-start';
  }

  function replay(): string {
    const pending = held;
    held = [];
    return pending.map(dispatch).join('');
  }

  /** Closes the open block and replays held events until nothing is open or held. */
  function flush(): string {
    let out = '';
    while (open !== null || held.length > 0) out += close() + replay();
    return out;
  }

  function messageEnd(): string {
    stopped = true;
    const stopReason = finish === undefined ? 'end_turn' : toAnthropicStopReason(finish.reason, finish.raw);
    return (
      frame('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: usage === undefined ? { output_tokens: 0 } : encodeAnthropicUsage(usage) }) +
      frame('message_stop', {})
    );
  }

  function dispatch(event: StreamEvent): string {
    if (stopped || (event.type !== 'usage' && event.type !== 'response-start' && (event.choiceIndex ?? 0) !== 0)) return '';
    if (isHeld(event)) {
      held.push(event);
      return '';
    }
    switch (event.type) {
      case 'response-start':
        return started ? '' : messageStart(event.id, event.model);
      case 'text-delta':
      case 'refusal-delta': {
        if (event.delta === '') return '';
        let out = ensureStarted();
        if (open?.kind !== 'text') out += openBlock({ type: 'text', text: '' }, { kind: 'text', index: nextIndex++ });
        return out + delta({ type: 'text_delta', text: event.delta });
      }
      case 'reasoning-delta': {
        let out = ensureStarted();
        if (event.delta !== '' || event.signature !== undefined) {
          // A signature seals a thinking block: reasoning after it is a new block.
          if (open?.kind !== 'thinking' || open.signed) {
            out += openBlock({ type: 'thinking', thinking: '', signature: '' }, { kind: 'thinking', index: nextIndex++, signed: false });
          }
          if (event.delta !== '') out += delta({ type: 'thinking_delta', thinking: event.delta });
          if (event.signature !== undefined && open?.kind === 'thinking') {
            out += delta({ type: 'signature_delta', signature: event.signature });
            open.signed = true;
          }
        }
        if (event.redactedData !== undefined) {
          out += openBlock({ type: 'redacted_thinking', data: event.redactedData }, { kind: 'redacted', index: nextIndex++ }) + close();
        }
        return out;
      }
      case 'tool-call-start': {
        const id = event.id === '' ? `toolu_${randomUUID().replaceAll('-', '')}` : event.id;
        return ensureStarted() + openBlock({ type: 'tool_use', id, name: event.name, input: {} }, { kind: 'tool', index: nextIndex++, toolIndex: event.index });
      }
      case 'tool-call-delta':
        // Deltas of a call whose block is already closed break the canonical contract; Anthropic's wire cannot reopen it.
        if (open?.kind !== 'tool' || open.toolIndex !== event.index || event.argumentsDelta === '') return '';
        return delta({ type: 'input_json_delta', partial_json: event.argumentsDelta });
      case 'tool-call-end':
        return open?.kind === 'tool' && open.toolIndex === event.index ? close() + replay() : '';
      case 'finish': {
        const out = ensureStarted() + flush();
        finish = { reason: event.finishReason, raw: event.rawFinishReason };
        return usage === undefined ? out : out + messageEnd();
      }
      case 'usage':
        usage = event.usage;
        return finish === undefined ? '' : messageEnd();
    }
  }

  return {
    encode: dispatch,
    end() {
      if (stopped) return '';
      return ensureStarted() + flush() + messageEnd();
    },
    error(error) {
      return `event: error\ndata: ${JSON.stringify(encodeAnthropicError(error))}\n\n`;
    },
  };
}
