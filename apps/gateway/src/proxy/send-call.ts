import type { FastifyReply, FastifyRequest } from 'fastify';
import { callChat, callEmbeddings, isContentEvent, traceOf, type CallTrace, type ChatCallInput } from '@gantry/calls';
import { encodeOpenAIEmbeddingResponse } from '@gantry/formats';
import type { RunCaller } from '@gantry/runs';
import { toGatewayError, type ChatRequest, type EmbeddingRequest, type StreamEvent } from '@gantry/spec';
import type { GatewayServices } from '../gateway-services.ts';
import { abortOnClientClose } from './client-abort.ts';
import type { ClientWire } from './client-wire.ts';
import { SSE_HEADERS, writeSse } from './write-sse.ts';

/** The caller as runs see it. */
export function callerOf(request: FastifyRequest): RunCaller {
  const principal = request.principal;
  return principal.kind === 'key'
    ? { apiKeyId: principal.keyId, teamId: principal.teamId, master: false }
    : { apiKeyId: null, teamId: null, master: true };
}

/** Longest value, in characters, of a response header that echoes what a client sent (the model in `x-gantry-target`). */
export const MAX_ECHOED_HEADER_CHARS = 256;

/**
 * A client-chosen value fit for a response header: characters outside printable ASCII (which Node
 * refuses in headers, failing the response) percent-encoded as UTF-8, then cut to
 * `MAX_ECHOED_HEADER_CHARS` with `...` — a 100 KB model name must not make a 100 KB header.
 */
function echoedHeaderValue(value: string): string {
  // Buffer.from writes a lone surrogate as U+FFFD, where encodeURIComponent would throw.
  // Encoding only lengthens: what lies past the cut is never encoded.
  const head = value.length > MAX_ECHOED_HEADER_CHARS ? value.slice(0, MAX_ECHOED_HEADER_CHARS) : value;
  const safe = head.replace(/[^\x20-\x7e]+/g, (run) => [...Buffer.from(run, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
  if (safe.length <= MAX_ECHOED_HEADER_CHARS && head === value) return safe;
  return `${safe.slice(0, MAX_ECHOED_HEADER_CHARS - 3).replace(/%[0-9A-F]?$/, '')}...`;
}

/** Gantry's response headers: the run and span the call was recorded as, and where it went. */
export function traceHeaders(trace: CallTrace): Record<string, string> {
  // The run id was checked on the way in (1-128 letters, digits and - _ . :) or minted here; the
  // target embeds the model as the client named it, and the answering middleware's name is echoed too.
  const headers: Record<string, string> = { 'x-gantry-run-id': trace.runId, 'x-gantry-span-id': trace.spanId, 'x-gantry-attempts': String(trace.attempts) };
  if (trace.target !== undefined) headers['x-gantry-target'] = echoedHeaderValue(trace.target);
  if (trace.answeredBy !== undefined) headers['x-gantry-answered-by'] = echoedHeaderValue(trace.answeredBy);
  // Middleware's own (`x-gantry-cache`): never one of the above, never outside Gantry's prefix.
  for (const [name, value] of Object.entries(trace.headers ?? {})) if (name.startsWith('x-gantry-') && !(name in headers)) headers[name] = echoedHeaderValue(value);
  return headers;
}

/** A failed call's error, with the headers of where it had got to. */
function withTraceHeaders(error: unknown, reply: FastifyReply): unknown {
  const trace = traceOf(error);
  if (trace !== undefined) reply.headers(traceHeaders(trace));
  return error;
}

/**
 * Writes a call's events to the client as SSE in its wire format. Once bytes have reached the
 * client, a failure ends the stream with the wire's in-stream error, which the official SDKs raise.
 */
async function writeStream(reply: FastifyReply, events: AsyncIterable<StreamEvent>, trace: CallTrace, wire: ClientWire, chat: ChatRequest, signal: AbortSignal): Promise<void> {
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, { ...SSE_HEADERS, ...(reply.getHeaders() as Record<string, string>), ...traceHeaders(trace) });
  const encoder = wire.createStreamEncoder(chat);
  let first = true;
  try {
    for await (const event of events) {
      const flush = first && isContentEvent(event);
      if (flush) first = false;
      // The first token leaves now, with the headers, not after the rest of its upstream packet.
      const drained = writeSse(response, encoder.encode(event), signal, flush);
      if (drained !== undefined) await drained;
    }
    await writeSse(response, await encoder.end(), signal);
  } catch (error) {
    if (signal.aborted) {
      // The client is gone: writes it will never read must not hold the socket open.
      response.destroy();
      return;
    }
    const closing = await encoder.error(toGatewayError(error));
    if (!response.destroyed) response.write(closing);
  } finally {
    response.end();
  }
}

/**
 * A chat route's whole job once the body is decoded: the call (packages/calls), then the answer
 * in the client's wire — JSON, or SSE for a stream. `call.headers` are the request's unless the
 * route adds to them (the Responses API names the run of a `previous_response_id` chain).
 */
export async function sendChat(
  services: GatewayServices,
  chat: ChatRequest,
  wire: ClientWire,
  request: FastifyRequest,
  reply: FastifyReply,
  call: Partial<Pick<ChatCallInput, 'headers' | 'startsRun' | 'onRecorded'>> = {},
): Promise<unknown> {
  const signal = abortOnClientClose(reply).signal;
  const outcome = await callChat(services, { headers: request.headers, ...call, request: chat, caller: callerOf(request) }, signal).catch((error: unknown) => {
    throw withTraceHeaders(error, reply);
  });
  if (outcome.type === 'stream') return writeStream(reply, outcome.events, outcome.trace, wire, chat, signal);
  reply.headers(traceHeaders(outcome.trace));
  return wire.encodeResult(outcome.result, chat);
}

/** The embeddings route's job once the body is decoded. */
export async function sendEmbeddings(services: GatewayServices, embedding: EmbeddingRequest, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const signal = abortOnClientClose(reply).signal;
  const { result, trace } = await callEmbeddings(services, { request: embedding, caller: callerOf(request), headers: request.headers }, signal).catch((error: unknown) => {
    throw withTraceHeaders(error, reply);
  });
  reply.headers(traceHeaders(trace));
  return encodeOpenAIEmbeddingResponse(result);
}
