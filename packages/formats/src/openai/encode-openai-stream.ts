import type { GatewayError, StreamEvent } from '@gantry/spec';
import { encodeOpenAIError } from './encode-openai-error.ts';
import { encodeOpenAIUsage } from './decode-openai-usage.ts';
import { toOpenAIFinishReason } from './map-openai-finish-reason.ts';

export interface OpenAIStreamEncoder {
  /** SSE text for one event (`data: {…}\n\n`), or '' when the event has no wire form. */
  encode(event: StreamEvent): string;
  /** The terminator, `data: [DONE]\n\n`. */
  end(): string;
  /** An in-stream error frame the OpenAI SDKs raise as an APIError. */
  error(error: GatewayError): string;
}

export interface OpenAIStreamEncoderOptions {
  /** The client asked for `stream_options.include_usage`. */
  includeUsage: boolean;
}

/**
 * Encodes canonical events as OpenAI chat completion chunks, byte-compatible with what OpenAI
 * emits: a role chunk first, tool call id/type/name only on each call's first chunk, arguments as
 * deltas, an empty-delta chunk carrying finish_reason, the usage chunk with `choices: []` only when
 * the client asked for it, then `[DONE]`.
 * @see https://platform.openai.com/docs/api-reference/chat-streaming/streaming
 */
export function createOpenAIStreamEncoder(options: OpenAIStreamEncoderOptions): OpenAIStreamEncoder {
  let head = '';
  const rolesSent = new Set<number>();

  function frame(choice: Record<string, unknown>): string {
    return `data: ${head}[${JSON.stringify(choice)}]${options.includeUsage ? ',"usage":null' : ''}}\n\n`;
  }

  function choiceFrame(index: number, delta: Record<string, unknown>, finishReason: string | null = null, logprobs: unknown = null): string {
    let prefix = '';
    if (!rolesSent.has(index)) {
      rolesSent.add(index);
      prefix = frame({ index, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null });
    }
    return prefix + frame({ index, delta, logprobs, finish_reason: finishReason });
  }

  return {
    encode(event) {
      switch (event.type) {
        case 'response-start': {
          // Serialized once: every chunk of the stream repeats these fields.
          const fields: Record<string, unknown> = {
            id: event.id,
            object: 'chat.completion.chunk',
            created: event.created,
            model: event.model,
          };
          if (event.serviceTier !== undefined) fields.service_tier = event.serviceTier;
          // The spec types it as a string, not nullable: omit it when the provider gave none.
          if (event.systemFingerprint !== undefined) fields.system_fingerprint = event.systemFingerprint;
          const json = JSON.stringify(fields);
          head = `${json.slice(0, -1)},"choices":`;
          rolesSent.add(0);
          return frame({ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null });
        }
        case 'text-delta':
          return choiceFrame(event.choiceIndex ?? 0, { content: event.delta }, null, event.logprobs ?? null);
        case 'refusal-delta':
          return choiceFrame(event.choiceIndex ?? 0, { refusal: event.delta });
        case 'reasoning-delta': {
          const delta: Record<string, unknown> = { reasoning_content: event.delta };
          if (event.signature !== undefined) delta.reasoning_signature = event.signature;
          return event.delta === '' && event.signature === undefined ? '' : choiceFrame(event.choiceIndex ?? 0, delta);
        }
        case 'tool-call-start':
          return choiceFrame(event.choiceIndex ?? 0, {
            tool_calls: [{ index: event.index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }],
          });
        case 'tool-call-delta':
          return choiceFrame(event.choiceIndex ?? 0, { tool_calls: [{ index: event.index, function: { arguments: event.argumentsDelta } }] });
        case 'tool-call-end':
          return '';
        case 'finish':
          return choiceFrame(event.choiceIndex ?? 0, {}, toOpenAIFinishReason(event.finishReason, event.rawFinishReason));
        case 'usage':
          return options.includeUsage ? `data: ${head}[],"usage":${JSON.stringify(encodeOpenAIUsage(event.usage))}}\n\n` : '';
      }
    },
    end() {
      return 'data: [DONE]\n\n';
    },
    error(error) {
      return `data: ${JSON.stringify(encodeOpenAIError(error))}\n\n`;
    },
  };
}
