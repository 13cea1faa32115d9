/**
 * OpenAI chat completions, embeddings and models, byte-compatible with the recordings in
 * wire-fixtures/openai. Azure OpenAI deployments use the same wire.
 * @see https://platform.openai.com/docs/api-reference/chat
 */
import { embedText, encodeBase64, pickDimensions } from './mock-embedding.ts';
import { type MockExchange, sendJson } from './mock-exchange.ts';
import {
  countContentCharacters,
  estimateTokens,
  randomId,
  resolveOutput,
  resolveUsage,
  type ResolvedUsage,
  splitIntoPieces,
} from './mock-step.ts';
import { playStream, type StreamFrame } from './play-stream.ts';

const SYSTEM_FINGERPRINT = 'fp_m0ckpr0v1d';
const FIXED_MODEL_IDS = ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small', 'mock-model'];

/** OpenAI's error envelope; every field is required, `param` and `code` may be null. */
export function openAiErrorBody(status: number, message?: string): unknown {
  let type = 'invalid_request_error';
  let code: string | null = null;
  if (status === 401) code = 'invalid_api_key';
  else if (status === 404) code = 'model_not_found';
  else if (status === 429) {
    type = 'requests';
    code = 'rate_limit_exceeded';
  } else if (status >= 500) type = 'server_error';
  const defaultMessage =
    status === 429
      ? 'Rate limit reached (scripted by the mock provider). Please try again later.'
      : status >= 500
        ? 'The server had an error while processing your request (scripted by the mock provider).'
        : `Mock provider scripted status ${status}.`;
  return { error: { message: message ?? defaultMessage, type, param: null, code } };
}

function requestHeaders(): Record<string, string> {
  return { 'x-request-id': `req_${randomId(32)}` };
}

function inputCharacters(body: Record<string, unknown>): number {
  const messages = body.messages;
  if (!Array.isArray(messages)) return 0;
  let total = 0;
  for (const message of messages) {
    if (typeof message === 'object' && message !== null) total += countContentCharacters((message as { content?: unknown }).content);
  }
  return total;
}

function openAiUsage(usage: ResolvedUsage, completionTokens: number): Record<string, unknown> {
  return {
    prompt_tokens: usage.input,
    completion_tokens: completionTokens,
    total_tokens: usage.input + completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInput, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** `POST /v1/chat/completions` and the Azure deployment route, streamed or not. */
export function handleChatCompletion(exchange: MockExchange): Promise<void> | void {
  const { body, step } = exchange;
  const model = exchange.model ?? '';
  const output = resolveOutput(step);
  const usage = resolveUsage(step, inputCharacters(body), output);
  const choiceCount = typeof body.n === 'number' && body.n > 1 ? Math.min(Math.floor(body.n), 128) : 1;
  // every choice is a generation; a scripted total is taken as is
  const completionTokens = step.usage?.output === undefined ? usage.output * choiceCount : usage.output;
  const id = `chatcmpl-${randomId(29)}`;
  const created = Math.floor(Date.now() / 1000);

  if (body.stream !== true) {
    const choices = [];
    for (let index = 0; index < choiceCount; index += 1) {
      const message: Record<string, unknown> = { role: 'assistant', content: output.text, refusal: null, annotations: [] };
      if (output.toolCalls.length > 0) {
        message.tool_calls = output.toolCalls.map((toolCall) => ({
          id: toolCall.id ?? `call_${randomId(24)}`,
          type: 'function',
          function: { name: toolCall.name, arguments: toolCall.arguments },
        }));
      }
      choices.push({ index, message, logprobs: null, finish_reason: output.finishReason });
    }
    sendJson(exchange, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices,
      ...(step.omitUsage === true ? {} : { usage: openAiUsage(usage, completionTokens) }),
      service_tier: 'default',
      system_fingerprint: SYSTEM_FINGERPRINT,
    }, requestHeaders());
    return;
  }

  const streamOptions = body.stream_options as { include_usage?: unknown } | undefined;
  const includeUsage = typeof streamOptions === 'object' && streamOptions !== null && streamOptions.include_usage === true;
  // every chunk shares this head; only `choices` changes
  const head = JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: SYSTEM_FINGERPRINT }).slice(0, -1);
  const tail = includeUsage ? ',"usage":null}\n\n' : '}\n\n';
  const chunk = (index: number, delta: unknown, finishReason: string | null): string =>
    `data: ${head},"choices":[${JSON.stringify({ index, delta, logprobs: null, finish_reason: finishReason })}]${tail}`;

  const frames: StreamFrame[] = [];
  for (let index = 0; index < choiceCount; index += 1) {
    frames.push({ data: chunk(index, { role: 'assistant', content: '', refusal: null }, null), content: false });
    for (const piece of splitIntoPieces(output.text ?? '', step.chunkSize)) {
      frames.push({ data: chunk(index, { content: piece }, null), content: true });
    }
    output.toolCalls.forEach((toolCall, toolIndex) => {
      const start = { index: toolIndex, id: toolCall.id ?? `call_${randomId(24)}`, type: 'function', function: { name: toolCall.name, arguments: '' } };
      frames.push({ data: chunk(index, { tool_calls: [start] }, null), content: true });
      for (const piece of splitIntoPieces(toolCall.arguments, step.chunkSize)) {
        frames.push({ data: chunk(index, { tool_calls: [{ index: toolIndex, function: { arguments: piece } }] }, null), content: true });
      }
    });
    frames.push({ data: chunk(index, {}, output.finishReason), content: false });
  }
  if (includeUsage && step.omitUsage !== true) {
    frames.push({ data: `data: ${head},"choices":[],"usage":${JSON.stringify(openAiUsage(usage, completionTokens))}}\n\n`, content: false });
  }
  frames.push({ data: 'data: [DONE]\n\n', content: false });

  const errorPayload = step.errorBody ?? openAiErrorBody(500, 'The server had an error while processing your request (scripted mid-stream error).');
  return playStream(exchange, {
    frames,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', ...requestHeaders() },
    malformedFrame: `data: ${head},"choices":[{"index":0,"delta":{"content":\n\n`,
    errorFrame: `data: ${JSON.stringify(errorPayload)}\n\n`,
  });
}

function embeddingInputs(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) return [];
  // a flat number array is one tokenized input
  if (input.length > 0 && input.every((item) => typeof item === 'number')) return [input.join(',')];
  return input.map((item) => (typeof item === 'string' ? item : Array.isArray(item) ? item.join(',') : JSON.stringify(item)));
}

/** `POST /v1/embeddings` and the Azure deployment route. */
export function handleEmbeddings(exchange: MockExchange): void {
  const { body, step } = exchange;
  const inputs = embeddingInputs(body.input);
  const dimensions = pickDimensions(step.embeddingDimensions, body.dimensions);
  const base64 = body.encoding_format === 'base64';
  let characters = 0;
  const data = inputs.map((text, index) => {
    characters += text.length;
    const values = step.vectors?.[text] === undefined ? embedText(text, dimensions) : [...step.vectors[text]];
    return { object: 'embedding', index, embedding: base64 ? encodeBase64(values) : values };
  });
  const promptTokens = step.usage?.input ?? estimateTokens(characters);
  sendJson(exchange, 200, {
    object: 'list',
    data,
    model: exchange.model ?? '',
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  }, requestHeaders());
}

/** `GET /v1/models`: a few fixed ids plus every registered script name. */
export function handleListModels(exchange: MockExchange, scriptNames: string[]): void {
  const ids = [...new Set([...FIXED_MODEL_IDS, ...scriptNames])];
  sendJson(exchange, 200, {
    object: 'list',
    data: ids.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'mock-provider' })),
  });
}
