import {
  createAnthropicStreamEncoder,
  createOpenAIStreamEncoder,
  encodeAnthropicError,
  encodeAnthropicResponse,
  encodeOpenAIChatResponse,
  encodeOpenAIError,
} from '@gantry/formats';
import type { ChatRequest, ChatResult, GatewayError, StreamEvent } from '@gantry/spec';

/** Encodes a stream for one client, in its wire format. */
export interface ClientStreamEncoder {
  encode(event: StreamEvent): string;
  /** The stream's closing text; may wait (the Responses API stores the response before its last event). */
  end(): string | Promise<string>;
  error(error: GatewayError): string | Promise<string>;
}

/** The wire format a client speaks: how results, streams and errors are written back to it. */
export interface ClientWire {
  name: 'openai' | 'anthropic' | 'openai-responses';
  /** The body for a whole result; may wait (the Responses API stores the response before answering). */
  encodeResult(result: ChatResult, request: ChatRequest): unknown;
  createStreamEncoder(request: ChatRequest): ClientStreamEncoder;
  encodeError(error: GatewayError): unknown;
}

export const openaiWire: ClientWire = {
  name: 'openai',
  encodeResult: (result) => encodeOpenAIChatResponse(result),
  createStreamEncoder: (request) => createOpenAIStreamEncoder({ includeUsage: request.includeUsage }),
  encodeError: encodeOpenAIError,
};

/** Anthropic Messages clients (`/v1/messages`): the official Anthropic SDKs, Claude Code, … */
export const anthropicWire: ClientWire = {
  name: 'anthropic',
  encodeResult: (result) => encodeAnthropicResponse(result),
  createStreamEncoder: () => createAnthropicStreamEncoder(),
  encodeError: encodeAnthropicError,
};
