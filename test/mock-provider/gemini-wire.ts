/**
 * Gemini Developer API (v1beta), compatible with the recordings in wire-fixtures/gemini.
 * @see https://ai.google.dev/api/generate-content
 */
import { embedText, pickDimensions } from './mock-embedding.ts';
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

const CONTENT_TYPE = 'application/json; charset=UTF-8';

const FINISH_REASONS: Record<MockFinishReason, string> = {
  stop: 'STOP',
  length: 'MAX_TOKENS',
  // Gemini reports function calls with STOP
  tool_calls: 'STOP',
  content_filter: 'SAFETY',
};

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
  529: 'UNAVAILABLE',
};

const DEFAULT_MESSAGES: Record<string, string> = {
  RESOURCE_EXHAUSTED: 'Resource has been exhausted (e.g. check quota).',
  UNAVAILABLE: 'The model is overloaded. Please try again later.',
  INTERNAL: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
};

/** google.rpc.Status, Gemini's error envelope. */
export function geminiErrorBody(status: number, message?: string): unknown {
  const name = STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
  return { error: { code: status, message: message ?? DEFAULT_MESSAGES[name] ?? `Mock provider scripted status ${status}.`, status: name } };
}

function inputCharacters(body: Record<string, unknown>): number {
  let total = 0;
  const system = body.systemInstruction as { parts?: unknown } | undefined;
  if (typeof system === 'object' && system !== null) total += countContentCharacters(system.parts);
  if (Array.isArray(body.contents)) {
    for (const content of body.contents) {
      if (typeof content === 'object' && content !== null) total += countContentCharacters((content as { parts?: unknown }).parts);
    }
  }
  return total;
}

function usageMetadata(usage: ResolvedUsage): Record<string, unknown> {
  // proto3 JSON leaves zero counts out, as the recordings do
  const metadata: Record<string, unknown> = { promptTokenCount: usage.input };
  const candidates = usage.output - usage.reasoning;
  if (candidates > 0) metadata.candidatesTokenCount = candidates;
  metadata.totalTokenCount = usage.input + usage.output;
  metadata.promptTokensDetails = [{ modality: 'TEXT', tokenCount: usage.input }];
  if (usage.cachedInput > 0) metadata.cachedContentTokenCount = usage.cachedInput;
  if (usage.reasoning > 0) metadata.thoughtsTokenCount = usage.reasoning;
  return metadata;
}

/** `:generateContent` and `:streamGenerateContent?alt=sse`. */
export function handleGenerateContent(exchange: MockExchange, streaming: boolean): Promise<void> | void {
  const { body, step } = exchange;
  if (streaming && exchange.query?.get('alt') !== 'sse') {
    // the real API would answer a JSON array here; the gateway is expected to ask for SSE
    sendJson(exchange, 400, geminiErrorBody(400, 'mock provider: streamGenerateContent needs ?alt=sse'), {}, CONTENT_TYPE);
    return;
  }
  const modelVersion = exchange.model ?? '';
  const output = resolveOutput(step);
  const usage = resolveUsage(step, inputCharacters(body), output);
  const finishReason = FINISH_REASONS[output.finishReason];
  const responseId = randomId(23);
  const functionCallParts = output.toolCalls.map((toolCall) => ({
    functionCall: { name: toolCall.name, args: parseArguments(toolCall.arguments) },
  }));

  if (!streaming) {
    const parts: unknown[] = [];
    if (output.reasoning !== null) parts.push({ text: output.reasoning, thought: true });
    if (output.text !== null) parts.push({ text: output.text });
    parts.push(...functionCallParts);
    sendJson(exchange, 200, {
      candidates: [{ content: { parts, role: 'model' }, finishReason, index: 0 }],
      usageMetadata: usageMetadata(usage),
      modelVersion,
      responseId,
    }, {}, CONTENT_TYPE);
    return;
  }

  const chunkParts: unknown[][] = [];
  for (const piece of splitIntoPieces(output.reasoning ?? '', step.chunkSize)) chunkParts.push([{ text: piece, thought: true }]);
  for (const piece of splitIntoPieces(output.text ?? '', step.chunkSize)) chunkParts.push([{ text: piece }]);
  // function calls arrive whole, in one chunk
  if (functionCallParts.length > 0) chunkParts.push(functionCallParts);
  if (chunkParts.length === 0) chunkParts.push([{ text: '' }]);

  const interimUsage = { promptTokenCount: usage.input, totalTokenCount: usage.input, promptTokensDetails: [{ modality: 'TEXT', tokenCount: usage.input }] };
  const finalUsage = usageMetadata(usage);
  const frames: StreamFrame[] = chunkParts.map((parts, index) => {
    const last = index === chunkParts.length - 1;
    const candidate = last ? { content: { parts, role: 'model' }, finishReason } : { content: { parts, role: 'model' } };
    const chunk = { candidates: [candidate], usageMetadata: last ? finalUsage : interimUsage, modelVersion, responseId };
    return { data: `data: ${JSON.stringify(chunk)}\r\n\r\n`, content: true };
  });

  return playStream(exchange, {
    frames,
    headers: {},
    malformedFrame: 'data: {"candidates": [{"content": {"parts": [{"text": \r\n\r\n',
    // a bare JSON object without `data:`, as in error-500-INTERNAL-in-stream.txt
    errorFrame:
      step.errorBody === undefined
        ? '{"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}}'
        : JSON.stringify(step.errorBody),
  });
}

/** `:countTokens`, given `contents` or a whole `generateContentRequest`. */
export function handleCountTokens(exchange: MockExchange): void {
  const { body } = exchange;
  const request = typeof body.generateContentRequest === 'object' && body.generateContentRequest !== null
    ? (body.generateContentRequest as Record<string, unknown>)
    : body;
  const totalTokens = exchange.step.usage?.input ?? estimateTokens(inputCharacters(request));
  sendJson(exchange, 200, { totalTokens, promptTokensDetails: [{ modality: 'TEXT', tokenCount: totalTokens }] }, {}, CONTENT_TYPE);
}

function embedContent(request: Record<string, unknown>, exchange: MockExchange): { values: number[] } {
  const content = request.content as { parts?: unknown } | undefined;
  const parts = typeof content === 'object' && content !== null && Array.isArray(content.parts) ? content.parts : [];
  const text = parts.map((part: unknown) => (typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : '')).join('');
  return { values: embedText(text, pickDimensions(exchange.step.embeddingDimensions, request.outputDimensionality)) };
}

/** `:embedContent`. */
export function handleEmbedContent(exchange: MockExchange): void {
  sendJson(exchange, 200, { embedding: embedContent(exchange.body, exchange) }, {}, CONTENT_TYPE);
}

/** `:batchEmbedContents`. */
export function handleBatchEmbedContents(exchange: MockExchange): void {
  const requests = Array.isArray(exchange.body.requests) ? exchange.body.requests : [];
  const embeddings = requests.map((request: unknown) =>
    embedContent(typeof request === 'object' && request !== null ? (request as Record<string, unknown>) : {}, exchange),
  );
  sendJson(exchange, 200, { embeddings }, {}, CONTENT_TYPE);
}
