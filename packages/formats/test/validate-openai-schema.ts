// The named export: under NodeNext the default import of this CommonJS module types as the
// module namespace, which is not constructable.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { loadSchema } from './load-fixture.ts';

// The schemas are draft 2020-12 with `$defs`. `strict: false` because the OpenAPI-derived files
// carry keywords ajv does not know (`deprecated`, `format: unixtime`); formats are not checked
// (ajv-formats is not installed).
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
const validators = new Map<string, ValidateFunction>();

/**
 * Errors of `value` against `openai-schemas/<name>.validator.schema.json` (the variant with
 * `nullable: true` rewritten to `anyOf [.., {type: null}]`); empty when it is valid.
 */
export function openaiSchemaErrors(name: string, value: unknown): string[] {
  let validate = validators.get(name);
  if (validate === undefined) {
    validate = ajv.compile(loadSchema(`${name}.validator.schema.json`));
    validators.set(name, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}
