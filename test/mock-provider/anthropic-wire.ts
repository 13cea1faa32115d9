/**
 * Anthropic Messages, byte-compatible with the recordings in wire-fixtures/anthropic.
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
import { type MockExchange, sendJson } from './mock-exchange.ts';
import {
  countContentCharacters,
  estimateTokens,
  type MockFinishReason,
  parseArguments,
  randomId,
  resolveOutput,
  resolveUsage,
  type ResolvedUsage,
  splitIntoPieces,
} from './mock-step.ts';
import { playStream, type StreamFrame } from './play-stream.ts';

const FAKE_SIGNATURE = Buffer.from('mock-provider-signature-not-a-real-signature').toString('base64');

const STOP_REASONS: Record<MockFinishReason, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function requestId(): string {
  return `req_011C${randomId(20)}`;
}

/** Anthropic's error envelope, with the `request_id` live responses carry. */
export function anthropicErrorBody(status: number, message?: string): unknown {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  const defaultMessage = status === 529 ? 'Overloaded' : `Mock provider scripted status ${status}.`;
  return { type: 'error', error: { type, message: message ?? defaultMessage }, request_id: requestId() };
}

/** Anthropic sends `x-should-retry` on errors (see error-429 / error-400 fixtures). */
export function anthropicErrorHeaders(status: number): Record<string, string> {
  return { 'x-should-retry': status === 429 || status >= 500 ? 'true' : 'false', 'request-id': requestId() };
}

function inputCharacters(body: Record<string, unknown>): number {
  let total = countContentCharacters(body.system);
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) {
      if (typeof message === 'object' && message !== null) total += countContentCharacters((message as { content?: unknown }).content);
    }
  }
  return total;
}

function anthropicUsage(usage: ResolvedUsage, outputTokens: number): Record<string, unknown> {
  return {
    // Anthropic's input_tokens excludes cache reads
    input_tokens: Math.max(0, usage.input - usage.cachedInput),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: usage.cachedInput,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

/** `POST /v1/messages`, streamed or not. */
export function handleMessages(exchange: MockExchange): Promise<void> | void {
  const { body, step } = exchange;
  const model = exchange.model ?? '';
  const output = resolveOutput(step);
  const usage = resolveUsage(step, inputCharacters(body), output);
  const stopReason = STOP_REASONS[output.finishReason];
  const id = `msg_01${randomId(22)}`;
  const toolIds = output.toolCalls.map((toolCall) => toolCall.id ?? `toolu_01${randomId(22)}`);
  const headers = { 'request-id': requestId() };

  if (body.stream !== true) {
    const content: unknown[] = [];
    if (output.reasoning !== null) content.push({ type: 'thinking', thinking: output.reasoning, signature: FAKE_SIGNATURE });
    if (output.text !== null) content.push({ type: 'text', text: output.text });
    output.toolCalls.forEach((toolCall, index) => {
      content.push({ type: 'tool_use', id: toolIds[index], name: toolCall.name, input: parseArguments(toolCall.arguments), caller: { type: 'direct' } });
    });
    sendJson(exchange, 200, {
      model,
      id,
      type: 'message',
      role: 'assistant',
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { ...anthropicUsage(usage, usage.output), inference_geo: 'not_available' },
    }, headers);
    return;
  }

  const frames: StreamFrame[] = [];
  const event = (type: string, data: unknown, content = false): void => {
    frames.push({ data: `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`, content });
  };
  let blockIndex = 0;
  const startBlock = (contentBlock: unknown): void => {
    event('content_block_start', { type: 'content_block_start', index: blockIndex, content_block: contentBlock });
    // the API pings once, right after the first block starts
    if (blockIndex === 0) frames.push({ data: 'event: ping\ndata: {"type": "ping"}\n\n', content: false });
  };
  const delta = (value: unknown): void => {
    event('content_block_delta', { type: 'content_block_delta', index: blockIndex, delta: value }, true);
  };
  const stopBlock = (): void => {
    event('content_block_stop', { type: 'content_block_stop', index: blockIndex });
    blockIndex += 1;
  };

  event('message_start', {
    type: 'message_start',
    message: { model, id, type: 'message', role: 'assistant', content: [], stop_reason: null, stop_sequence: null, usage: anthropicUsage(usage, 1) },
  });
  if (output.reasoning !== null) {
    startBlock({ type: 'thinking', thinking: '', signature: '' });
    for (const piece of splitIntoPieces(output.reasoning, step.chunkSize)) delta({ type: 'thinking_delta', thinking: piece });
    delta({ type: 'signature_delta', signature: FAKE_SIGNATURE });
    stopBlock();
  }
  if (output.text !== null) {
    startBlock({ type: 'text', text: '' });
    for (const piece of splitIntoPieces(output.text, step.chunkSize)) delta({ type: 'text_delta', text: piece });
    stopBlock();
  }
  output.toolCalls.forEach((toolCall, index) => {
    startBlock({ type: 'tool_use', id: toolIds[index], name: toolCall.name, input: {}, caller: { type: 'direct' } });
    delta({ type: 'input_json_delta', partial_json: '' });
    for (const piece of splitIntoPieces(toolCall.arguments, step.chunkSize)) delta({ type: 'input_json_delta', partial_json: piece });
    stopBlock();
  });
  // the live recording repeats input and cache counts here
  const finalUsage = {
    input_tokens: Math.max(0, usage.input - usage.cachedInput),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: usage.cachedInput,
    output_tokens: usage.output,
  };
  event('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: finalUsage });
  event('message_stop', { type: 'message_stop' });

  return playStream(exchange, {
    frames,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', ...headers },
    malformedFrame: `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":\n\n`,
    errorFrame:
      step.errorBody === undefined
        ? 'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'
        : `event: error\ndata: ${JSON.stringify(step.errorBody)}\n\n`,
  });
}

/** `POST /v1/messages/count_tokens`. */
export function handleCountTokens(exchange: MockExchange): void {
  const inputTokens = exchange.step.usage?.input ?? estimateTokens(inputCharacters(exchange.body));
  sendJson(exchange, 200, { input_tokens: inputTokens }, { 'request-id': requestId() });
}
