/**
 * The OpenAI Responses API (`POST /v1/responses`, and Azure's `/openai/v1/responses`), shaped like
 * the recordings in wire-fixtures/openai-responses: the same Response envelope, item ids with
 * their prefixes, and a stream of named events with gapless `sequence_number`s and no `[DONE]`.
 * @see https://platform.openai.com/docs/api-reference/responses
 */
import { type MockExchange, sendJson } from './mock-exchange.ts';
import { countContentCharacters, randomId, resolveOutput, resolveUsage, type ResolvedOutput, type ResolvedUsage, splitIntoPieces } from './mock-step.ts';
import { faultCut, playStream, type StreamFrame } from './play-stream.ts';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Ids in a response share one long hex stem after their prefix, as in the recordings. */
function randomHex(length: number): string {
  let hex = '';
  for (let index = 0; index < length; index += 1) hex += Math.floor(Math.random() * 16).toString(16);
  return hex;
}

/**
 * A stand-in for `encrypted_content`: opaque-looking (the real values start `gAAAAA`), but
 * derived from the reasoning text so a test can tell which value came back.
 */
export function mockEncryptedReasoning(reasoning: string): string {
  return `gAAAAABmock${Buffer.from(reasoning).toString('base64url')}`;
}

function inputCharacters(body: Json): number {
  let total = typeof body.instructions === 'string' ? body.instructions.length : 0;
  if (typeof body.input === 'string') return total + body.input.length;
  for (const item of Array.isArray(body.input) ? body.input : []) {
    if (!isObject(item)) continue;
    total += countContentCharacters(item.content);
    if (item.type === 'function_call_output') total += countContentCharacters(item.output);
  }
  return total;
}

/** The items a step outputs, complete, in order: reasoning, the message, function calls. */
function outputItems(output: ResolvedOutput, stem: string): Json[] {
  const items: Json[] = [];
  if (output.reasoning !== null) {
    items.push({ id: `rs_${stem}${randomHex(8)}`, type: 'reasoning', encrypted_content: mockEncryptedReasoning(output.reasoning), summary: [{ type: 'summary_text', text: output.reasoning }] });
  }
  if (output.text !== null) {
    const status = output.finishReason === 'length' || output.finishReason === 'content_filter' ? 'incomplete' : 'completed';
    items.push({ id: `msg_${stem}${randomHex(8)}`, type: 'message', status, content: [{ type: 'output_text', annotations: [], logprobs: [], text: output.text }], role: 'assistant' });
  }
  for (const call of output.toolCalls) {
    items.push({ id: `fc_${stem}${randomHex(8)}`, type: 'function_call', status: 'completed', arguments: call.arguments, call_id: call.id ?? `call_${randomId(24)}`, name: call.name });
  }
  return items;
}

function responsesUsage(usage: ResolvedUsage): Json {
  return {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: usage.cachedInput },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning },
    total_tokens: usage.input + usage.output,
  };
}

interface Envelope {
  id: string;
  createdAt: number;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  incompleteReason: string | null;
  error: Json | null;
  output: Json[];
  usage: Json | null;
  serviceTier: string;
}

/** The Response object: what it echoes of its request with OpenAI's defaults, keys in the recordings' order. */
function responseObject(exchange: MockExchange, envelope: Envelope): Json {
  const { body } = exchange;
  const reasoning = isObject(body.reasoning) ? body.reasoning : {};
  const text = isObject(body.text) ? body.text : {};
  return {
    id: envelope.id,
    object: 'response',
    created_at: envelope.createdAt,
    status: envelope.status,
    background: false,
    error: envelope.error,
    incomplete_details: envelope.incompleteReason === null ? null : { reason: envelope.incompleteReason },
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    model: exchange.model ?? '',
    output: envelope.output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    safety_identifier: body.safety_identifier ?? null,
    service_tier: envelope.serviceTier,
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: text.format ?? { type: 'text' }, verbosity: text.verbosity ?? 'medium' },
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_logprobs: body.top_logprobs ?? 0,
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
    usage: envelope.usage,
    user: body.user ?? null,
    metadata: isObject(body.metadata) ? body.metadata : {},
  };
}

/** `stop` and `tool_calls` complete; `length` and `content_filter` leave the response incomplete. */
function endState(output: ResolvedOutput): Pick<Envelope, 'status' | 'incompleteReason'> {
  if (output.finishReason === 'length') return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
  if (output.finishReason === 'content_filter') return { status: 'incomplete', incompleteReason: 'content_filter' };
  return { status: 'completed', incompleteReason: null };
}

/** `POST /v1/responses` (and Azure's v1 route), streamed or not. */
export function handleResponses(exchange: MockExchange): Promise<void> | void {
  const { body, step } = exchange;
  const output = resolveOutput(step);
  const usage = resolveUsage(step, inputCharacters(body), output);
  const stem = randomHex(42);
  const items = outputItems(output, stem);
  const envelope: Envelope = {
    id: `resp_${stem}${randomHex(8)}`,
    createdAt: Math.floor(Date.now() / 1000),
    ...endState(output),
    error: null,
    output: items,
    usage: step.omitUsage === true ? null : responsesUsage(usage),
    serviceTier: 'default',
  };
  const headers = { 'x-request-id': `req_${randomHex(32)}` };
  if (body.stream !== true) return sendJson(exchange, 200, responseObject(exchange, envelope), headers);
  return streamResponse(exchange, envelope, headers);
}

/** The events of one output item, from `output_item.added` to `output_item.done`. */
function itemEvents(item: Json, outputIndex: number, chunkSize: number | undefined, push: (event: Json, content?: boolean) => void): void {
  const itemId = item.id;
  const at = { item_id: itemId, output_index: outputIndex };
  const obfuscation = (): string => randomId(4 + Math.floor(Math.random() * 12));
  if (item.type === 'reasoning') {
    const text = ((item.summary as { text: string }[])[0]?.text ?? '');
    // The recordings' `.added` carries an encrypted_content that differs from the final one.
    push({ type: 'response.output_item.added', output_index: outputIndex, item: { id: itemId, type: 'reasoning', encrypted_content: mockEncryptedReasoning(text.slice(0, text.length >> 1)), summary: [] } });
    push({ type: 'response.reasoning_summary_part.added', ...at, summary_index: 0, part: { type: 'summary_text', text: '' } });
    for (const delta of splitIntoPieces(text, chunkSize)) push({ type: 'response.reasoning_summary_text.delta', ...at, summary_index: 0, delta, obfuscation: obfuscation() }, true);
    push({ type: 'response.reasoning_summary_text.done', ...at, summary_index: 0, text });
    push({ type: 'response.reasoning_summary_part.done', ...at, summary_index: 0, part: { type: 'summary_text', text } });
  } else if (item.type === 'message') {
    const part = (item.content as Json[])[0] ?? {};
    const text = typeof part.text === 'string' ? part.text : '';
    push({ type: 'response.output_item.added', output_index: outputIndex, item: { id: itemId, type: 'message', status: 'in_progress', content: [], role: 'assistant' } });
    push({ type: 'response.content_part.added', ...at, content_index: 0, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } });
    for (const delta of splitIntoPieces(text, chunkSize)) push({ type: 'response.output_text.delta', ...at, content_index: 0, delta, logprobs: [], obfuscation: obfuscation() }, true);
    push({ type: 'response.output_text.done', ...at, content_index: 0, text, logprobs: [] });
    push({ type: 'response.content_part.done', ...at, content_index: 0, part });
  } else {
    const argumentsText = String(item.arguments);
    push({ type: 'response.output_item.added', output_index: outputIndex, item: { ...item, status: 'in_progress', arguments: '' } }, true);
    for (const delta of splitIntoPieces(argumentsText, chunkSize)) push({ type: 'response.function_call_arguments.delta', ...at, delta, obfuscation: obfuscation() }, true);
    // The recordings' `.done` has no `name`, which the spec requires.
    push({ type: 'response.function_call_arguments.done', ...at, arguments: argumentsText });
  }
  push({ type: 'response.output_item.done', output_index: outputIndex, item });
}

function sseFrame(event: Json): string {
  return `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** The `error` event (details nested, as recorded) and the `response.failed` that follows it. */
function failureFrames(exchange: MockExchange, envelope: Envelope, sequence: number): string {
  const scripted = exchange.step.errorBody;
  const message = 'The server had an error while processing your request (scripted mid-stream error).';
  const error = isObject(scripted) ? scripted : { type: 'error', error: { type: 'server_error', code: 'server_error', message, param: null } };
  const details = isObject(error.error) ? error.error : error;
  const failed = { ...envelope, status: 'failed' as const, output: [], usage: null, error: { code: details.code ?? 'server_error', message: details.message ?? message } };
  return sseFrame({ type: error.type ?? 'error', sequence_number: sequence, ...error }) + sseFrame({ type: 'response.failed', sequence_number: sequence + 1, response: responseObject(exchange, failed) });
}

function streamResponse(exchange: MockExchange, envelope: Envelope, headers: Record<string, string>): Promise<void> {
  const events: { event: Json; content: boolean }[] = [];
  const push = (event: Json, content = false): void => {
    events.push({ event, content });
  };
  const inProgress = responseObject(exchange, { ...envelope, status: 'in_progress', incompleteReason: null, output: [], usage: null, serviceTier: 'auto' });
  push({ type: 'response.created', response: inProgress });
  push({ type: 'response.in_progress', response: inProgress });
  envelope.output.forEach((item, outputIndex) => itemEvents(item, outputIndex, exchange.step.chunkSize, push));
  push({ type: envelope.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response: responseObject(exchange, envelope) });

  const frames: StreamFrame[] = events.map(({ event, content }, sequence) => ({ data: sseFrame({ type: event.type, sequence_number: sequence, ...event }), content }));
  const errorAt = faultCut(frames, exchange.step.errorEventAfterChunks ?? 0);
  return playStream(exchange, {
    frames,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', ...headers },
    malformedFrame: 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":\n\n',
    errorFrame: failureFrames(exchange, envelope, errorAt),
  });
}
