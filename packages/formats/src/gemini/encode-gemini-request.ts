import { InvalidRequestError, type ChatRequest, type ReasoningEffort, type ToolChoice } from '@gantry/spec';
import { encodeGeminiContents } from './encode-gemini-contents.ts';

/**
 * `reasoningEffort` → `thinkingConfig.thinkingBudget` in tokens, with thought summaries on so that
 * reasoning can be shown and its signatures returned. `minimal` is 512, the smallest budget every
 * 2.5 model accepts (Flash-Lite's floor); `none` is 0, which turns thinking off where the model
 * allows it. Gemini 3 models take these budgets too; a client that wants `thinkingLevel` sends it
 * through `providerOptions.gemini.generationConfig.thinkingConfig`.
 * @see https://ai.google.dev/gemini-api/docs/thinking#set-budget
 */
export const GEMINI_THINKING_BUDGETS: Readonly<Record<string, number>> = {
  none: 0,
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
};

function thinkingConfig(effort: ReasoningEffort): Record<string, unknown> {
  const budget = GEMINI_THINKING_BUDGETS[effort];
  if (budget === undefined) {
    throw new InvalidRequestError(
      `reasoning_effort ${JSON.stringify(effort)} has no gemini thinking budget; accepted: ${Object.keys(GEMINI_THINKING_BUDGETS).join(', ')}`,
      { param: 'reasoning_effort' },
    );
  }
  return { thinkingBudget: budget, includeThoughts: budget > 0 };
}

/** @see https://ai.google.dev/api/caching#FunctionCallingConfig */
function functionCallingConfig(choice: ToolChoice): Record<string, unknown> {
  switch (choice) {
    case 'auto':
      return { mode: 'AUTO' };
    case 'none':
      return { mode: 'NONE' };
    case 'required':
      return { mode: 'ANY' };
    default:
      return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Encodes a canonical request as a `generateContent` / `streamGenerateContent` body (the model and
 * the streaming choice are in the URL, not the body).
 *
 * - `responseFormat` json_schema → `responseMimeType: application/json` + `responseJsonSchema`
 *   (plain JSON Schema, unlike the OpenAPI-subset `responseSchema`); json_object → the MIME type only.
 * - `parallelToolCalls` and `user` have no Gemini equivalent and are not sent.
 * - `providerOptions.gemini` is merged last, verbatim (e.g. `safetySettings`, `cachedContent`);
 *   an object it gives for a key the encoder also set (`generationConfig`, `toolConfig`) is merged
 *   into that object, its own fields winning.
 * @see https://ai.google.dev/api/generate-content#method:-models.generatecontent
 */
export function encodeGeminiRequest(request: ChatRequest): Record<string, unknown> {
  const { systemInstruction, contents } = encodeGeminiContents(request.messages);
  const body: Record<string, unknown> = { contents };
  if (systemInstruction !== undefined) body.systemInstruction = systemInstruction;

  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((tool) => ({
          name: tool.name,
          ...(tool.description === undefined ? {} : { description: tool.description }),
          ...(tool.parameters === undefined ? {} : { parametersJsonSchema: tool.parameters }),
        })),
      },
    ];
  }
  if (request.toolChoice !== undefined) body.toolConfig = { functionCallingConfig: functionCallingConfig(request.toolChoice) };

  const generationConfig: Record<string, unknown> = {};
  if (request.maxOutputTokens !== undefined) generationConfig.maxOutputTokens = request.maxOutputTokens;
  if (request.temperature !== undefined) generationConfig.temperature = request.temperature;
  if (request.topP !== undefined) generationConfig.topP = request.topP;
  if (request.stop !== undefined) generationConfig.stopSequences = request.stop;
  if (request.seed !== undefined) generationConfig.seed = request.seed;
  if (request.presencePenalty !== undefined) generationConfig.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) generationConfig.frequencyPenalty = request.frequencyPenalty;
  if (request.n !== undefined) generationConfig.candidateCount = request.n;
  const format = request.responseFormat;
  if (format?.type === 'json_object') generationConfig.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    generationConfig.responseMimeType = 'application/json';
    if (format.schema !== undefined) generationConfig.responseJsonSchema = format.schema;
  }
  if (request.reasoningEffort !== undefined) generationConfig.thinkingConfig = thinkingConfig(request.reasoningEffort);
  body.generationConfig = generationConfig;

  for (const [key, value] of Object.entries(request.providerOptions?.gemini ?? {})) {
    const current = body[key];
    body[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  return body;
}
