import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

/** OpenAI's response schemas, kept in the repository with the wire recordings (`test/fixtures/wire`). */
const SCHEMA_DIR = fileURLToPath(new URL('../fixtures/wire/openai-schemas/', import.meta.url));

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
const cache = new Map<string, ValidateFunction>();

export type OpenAISchemaName =
  | 'CreateChatCompletionResponse'
  | 'CreateChatCompletionStreamResponse'
  | 'CreateEmbeddingResponse'
  | 'ErrorResponse'
  | 'ListModelsResponse'
  | 'Response'
  | 'ResponseStreamEvent';

/** Validates against OpenAI's published schema (the `.validator` variant, nullable rewritten). */
export function openaiSchemaErrors(name: OpenAISchemaName, value: unknown): string[] {
  let validate = cache.get(name);
  if (validate === undefined) {
    validate = ajv.compile(JSON.parse(readFileSync(`${SCHEMA_DIR}${name}.validator.schema.json`, 'utf8')) as object);
    cache.set(name, validate);
  }
  return validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}
