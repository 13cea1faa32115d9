import { formatIssuePath } from '@gantry/formats';
import { InvalidRequestError } from '@gantry/spec';
import { MAX_BODY_DEPTH, NAMED_SEGMENTS, tooDeepPath } from './json-depth-scan.mjs';

/** The 400 for a body nested too deep, naming the field as the decoders' check does. */
export function tooDeepError(path: (string | number)[]): InvalidRequestError {
  const param = formatIssuePath(path);
  const shown = param === '' ? 'the top level' : MAX_BODY_DEPTH > NAMED_SEGMENTS ? `${param}…` : param;
  return new InvalidRequestError(
    `request body nests arrays and objects more than ${MAX_BODY_DEPTH} levels deep at ${shown}; flatten that field, or send deeply nested data as a JSON string`,
    { param: param || undefined },
  );
}

/** The 400 for a JSON text (a body, or JSON Lines) nested deeper than request bodies may be, or undefined. */
export function bodyTooDeep(text: string): InvalidRequestError | undefined {
  const path = tooDeepPath(text, MAX_BODY_DEPTH);
  return path === undefined ? undefined : tooDeepError(path);
}
