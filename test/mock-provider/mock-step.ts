/**
 * The format-neutral script language of the mock provider, and the defaults every wire format
 * derives its response from.
 */

/**
 * The wire format a request arrived in. `azure` speaks OpenAI's chat format on Azure's deployment
 * URLs; `openai-responses` is the Responses API, on OpenAI's and Azure's v1 URLs alike.
 */
export type WireFormat = 'openai' | 'anthropic' | 'gemini' | 'azure' | 'openai-responses';

/** Why the scripted generation stopped, in OpenAI's vocabulary; each wire maps it to its own. */
export type MockFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** One tool call the scripted model makes. */
export interface MockToolCall {
  /** Call id; generated when missing (`call_…` for OpenAI, `toolu_…` for Anthropic, none for Gemini). */
  id?: string;
  name: string;
  /** Arguments as the JSON text the model emits; may be invalid JSON on purpose. */
  arguments: string;
}

/**
 * Token counts for one response. Counts are totals in the neutral sense: `input` includes
 * `cachedInput`, `output` includes `reasoning`; each wire splits them its own way.
 */
export interface MockUsage {
  /** Input tokens, cached ones included. Default: ceil(characters of the request's message text / 4). */
  input?: number;
  /** Output tokens, reasoning included. Default: ceil(characters of text + tool arguments / 4) + reasoning. */
  output?: number;
  /** Input tokens read from the prompt cache. Default 0. */
  cachedInput?: number;
  /** Output tokens spent on reasoning. Default: ceil(characters of `reasoning` / 4). */
  reasoning?: number;
}

/** One scripted response. Every field is optional; an empty step is the default response. */
export interface MockStep {
  /** Assistant text. Default "Hello from the mock provider." unless `toolCalls` are given. */
  text?: string;
  /** Thinking text (Anthropic thinking block, Gemini `thought:true` part, Responses reasoning item with its summary; ignored on OpenAI chat). */
  reasoning?: string;
  toolCalls?: MockToolCall[];
  /** Default `tool_calls` when `toolCalls` are given, else `stop`. */
  finishReason?: MockFinishReason;
  usage?: MockUsage;
  /** OpenAI wire: no usage at all, in the body or the stream (servers that ignore `stream_options.include_usage`). */
  omitUsage?: boolean;
  /** Delay before the response headers, in milliseconds. */
  latencyMs?: number;
  /** Streams: delay between the headers and the first content frame, in milliseconds. */
  firstTokenMs?: number;
  /** Streams: delay between frames, in milliseconds. */
  chunkDelayMs?: number;
  /** Characters per text delta and per tool-arguments delta. Default 8. */
  chunkSize?: number;
  /** Respond with this HTTP error status instead of a completion. */
  status?: number;
  /** Exact JSON body for `status`, or the payload of the in-stream error of `errorEventAfterChunks`. */
  errorBody?: unknown;
  /** Extra response headers, e.g. `retry-after`. */
  headers?: Record<string, string>;
  /** Never respond; the request is recorded as aborted when the client goes away. */
  hang?: boolean;
  /** Streams: close the connection after N content frames, without the stream's terminator. */
  disconnectAfterChunks?: number;
  /** Streams: after N content frames send a frame whose data is not valid JSON, then end. */
  malformedAfterChunks?: number;
  /** Streams: after N content frames send the format's in-stream error, then end. */
  errorEventAfterChunks?: number;
  /** Length of embedding vectors. Default 8 (or the request's `dimensions`). */
  embeddingDimensions?: number;
  /** Embedding vectors for these exact input texts (others get the deterministic hash vector), so similarity is scripted exactly. */
  vectors?: Readonly<Record<string, readonly number[]>>;
  /**
   * A regular expression (source): `{{echo}}` in `text` and in tool-call arguments becomes its first
   * match in the request body as JSON — a model repeating what it was sent (a placeholder, say).
   */
  echo?: string;
}

/** The step with `{{echo}}` replaced by what `step.echo` finds in the request (left as is when it finds nothing). */
export function withEcho(step: MockStep, body: unknown): MockStep {
  if (step.echo === undefined) return step;
  const found = new RegExp(step.echo).exec(JSON.stringify(body))?.[0];
  if (found === undefined) return step;
  const fill = (text: string) => text.replaceAll('{{echo}}', found);
  return {
    ...step,
    ...(step.text === undefined ? {} : { text: fill(step.text) }),
    ...(step.toolCalls === undefined ? {} : { toolCalls: step.toolCalls.map((call) => ({ ...call, arguments: fill(call.arguments) })) }),
  };
}

/** One request the mock received, as recorded on arrival and updated when it ends. */
export interface RecordedRequest {
  method: string;
  /** Path including the query string. */
  path: string;
  /** Request headers, lowercased names. */
  headers: Record<string, string>;
  /** Parsed JSON body, or null when absent or not valid JSON. */
  body: unknown;
  /** The model that selected the script (body `model`, Gemini path segment, Azure deployment). */
  model: string | null;
  format: WireFormat;
  /** Arrival time, epoch milliseconds. */
  receivedAt: number;
  /** True when the client closed the connection before the response finished. */
  aborted: boolean;
  /** True when the whole response was written. */
  completed: boolean;
}

export const DEFAULT_TEXT = 'Hello from the mock provider.';
export const DEFAULT_CHUNK_SIZE = 8;
export const DEFAULT_EMBEDDING_DIMENSIONS = 8;

/** What a step says the model produced, with defaults applied. */
export interface ResolvedOutput {
  /** Null when the model only called tools. */
  text: string | null;
  /** Null when there is no thinking. */
  reasoning: string | null;
  toolCalls: MockToolCall[];
  finishReason: MockFinishReason;
}

export function resolveOutput(step: MockStep): ResolvedOutput {
  const toolCalls = step.toolCalls ?? [];
  const text = step.text ?? (toolCalls.length > 0 ? null : DEFAULT_TEXT);
  const reasoning = step.reasoning ? step.reasoning : null;
  const finishReason = step.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
  return { text, reasoning, toolCalls, finishReason };
}

/** Resolved token counts; see {@link MockUsage} for their meaning. */
export interface ResolvedUsage {
  input: number;
  output: number;
  cachedInput: number;
  reasoning: number;
}

export function estimateTokens(characters: number): number {
  return Math.ceil(characters / 4);
}

export function resolveUsage(step: MockStep, inputCharacters: number, output: ResolvedOutput): ResolvedUsage {
  const scripted = step.usage ?? {};
  let visibleCharacters = output.text?.length ?? 0;
  for (const toolCall of output.toolCalls) visibleCharacters += toolCall.name.length + toolCall.arguments.length;
  const reasoningDefault = estimateTokens(output.reasoning?.length ?? 0);
  const outputTokens = scripted.output ?? estimateTokens(visibleCharacters) + (scripted.reasoning ?? reasoningDefault);
  return {
    input: scripted.input ?? estimateTokens(inputCharacters),
    output: outputTokens,
    cachedInput: scripted.cachedInput ?? 0,
    // reasoning is part of output, so it can never exceed it
    reasoning: Math.min(scripted.reasoning ?? reasoningDefault, outputTokens),
  };
}

/** Splits text into pieces of `size` UTF-16 units, never between the halves of a surrogate pair. */
export function splitIntoPieces(text: string, size: number | undefined): string[] {
  const pieceSize = Math.max(1, Math.floor(size ?? DEFAULT_CHUNK_SIZE));
  if (text.length <= pieceSize) return text.length === 0 ? [] : [text];
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + pieceSize, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += 1;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** Parses tool-call arguments for wires that carry objects; invalid JSON or a non-object becomes `{}`. */
export function parseArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random alphanumeric id body; not cryptographic, just unique enough for a mock. */
export function randomId(length: number): string {
  let id = '';
  for (let index = 0; index < length; index += 1) id += ID_ALPHABET[Math.floor(Math.random() * 62)];
  return id;
}

/** Sums the lengths of the text in a content value: a string, or parts/blocks carrying `text`. */
export function countContentCharacters(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let total = 0;
  for (const part of content) {
    if (typeof part === 'string') total += part.length;
    else if (typeof part === 'object' && part !== null) {
      const record = part as Record<string, unknown>;
      if (typeof record.text === 'string') total += record.text.length;
      // Anthropic tool_result blocks nest their own content
      else if (record.content !== undefined) total += countContentCharacters(record.content);
    }
  }
  return total;
}
