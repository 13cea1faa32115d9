import { InvalidRequestError } from '@gantry/spec';
import { formatIssuePath } from './format-zod-error.ts';

/**
 * Deepest nesting of arrays and objects a request body may have; the body itself is level 1.
 * serde_json's default recursion limit, and far below where the recursive code a body meets
 * (`JSON.stringify`, Postgres' jsonb parser) runs out of stack: tens of thousands of levels fit in
 * a few hundred KB of brackets. Real bodies (messages, tool schemas) nest a few dozen levels at most.
 */
export const MAX_JSON_DEPTH = 128;

/** What makes a JSON value unfit: nested too deep, or a string Postgres cannot store. */
export interface JsonProblem {
  /** `too-deep`: nested past `maxDepth`; `nul`: a U+0000; `lone-surrogate`: half of a UTF-16 surrogate pair. */
  kind: 'too-deep' | 'nul' | 'lone-surrogate';
  /** Keys and indexes from the root to the value (for `too-deep`, the first value past the limit). */
  path: (string | number)[];
}

export interface FindJsonProblemOptions {
  /** Deepest nesting of arrays and objects allowed; the root container is level 1. */
  maxDepth: number;
  /** Also report strings and keys holding U+0000 or a lone surrogate (Postgres text and jsonb refuse both). */
  text?: boolean;
}

// Without the `u` flag a regex sees UTF-16 code units, so a surrogate without its partner matches.
const UNSTORABLE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** One container on the walk; `parent` and `key` rebuild the path only when a problem is found. */
interface Frame {
  value: object;
  depth: number;
  parent: Frame | undefined;
  key: string | number | undefined;
}

function pathOf(frame: Frame | undefined, last?: string | number): (string | number)[] {
  const path: (string | number)[] = last === undefined ? [] : [last];
  for (let each = frame; each !== undefined && each.key !== undefined; each = each.parent) path.push(each.key);
  return path.reverse();
}

function textProblem(text: string): JsonProblem['kind'] | undefined {
  if (!UNSTORABLE_TEXT.test(text)) return undefined;
  return text.includes('\u0000') ? 'nul' : 'lone-surrogate';
}

/**
 * The first problem in a parsed JSON value, or undefined. Iterative (an explicit stack, never
 * recursion, so a body nested a million levels deep cannot overflow the call stack) and linear:
 * each array, object, key and string is looked at once, and the walk stops at the first problem.
 */
export function findJsonProblem(value: unknown, options: FindJsonProblemOptions): JsonProblem | undefined {
  const text = options.text === true;
  if (typeof value === 'string') {
    const kind = text ? textProblem(value) : undefined;
    return kind === undefined ? undefined : { kind, path: [] };
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (options.maxDepth < 1) return { kind: 'too-deep', path: [] };
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const container = frame.value;
    if (Array.isArray(container)) {
      for (let index = 0; index < container.length; index++) {
        const child: unknown = container[index];
        if (typeof child === 'object' && child !== null) {
          if (frame.depth >= options.maxDepth) return { kind: 'too-deep', path: pathOf(frame, index) };
          stack.push({ value: child, depth: frame.depth + 1, parent: frame, key: index });
        } else if (text && typeof child === 'string') {
          const kind = textProblem(child);
          if (kind !== undefined) return { kind, path: pathOf(frame, index) };
        }
      }
    } else {
      // Parsed JSON holds plain objects only: `for…in` sees exactly their own keys, without an array of them.
      for (const key in container) {
        if (text) {
          const kind = textProblem(key);
          if (kind !== undefined) return { kind, path: pathOf(frame, key) };
        }
        const child: unknown = (container as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) {
          if (frame.depth >= options.maxDepth) return { kind: 'too-deep', path: pathOf(frame, key) };
          stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
        } else if (text && typeof child === 'string') {
          const kind = textProblem(child);
          if (kind !== undefined) return { kind, path: pathOf(frame, key) };
        }
      }
    }
  }
  return undefined;
}

/** Path segments a message shows: enough to name the field, not the hundred levels below it. */
const SHOWN_PATH_SEGMENTS = 6;

/**
 * A problem's path for people: `extra[0][0][0][0][0]…` (cut after a few segments), and the
 * `param` to report: the same path without the ellipsis (undefined for the root).
 */
export function describeJsonPath(path: readonly (string | number)[]): { shown: string; param: string | undefined } {
  const param = formatIssuePath(path.slice(0, SHOWN_PATH_SEGMENTS));
  if (param === '') return { shown: 'the top level', param: undefined };
  return { shown: path.length > SHOWN_PATH_SEGMENTS ? `${param}…` : param, param };
}

/**
 * Throws an InvalidRequestError (400) naming the field when a parsed request body nests arrays and
 * objects deeper than `maxDepth` levels.
 */
export function checkJsonDepth(body: unknown, maxDepth: number = MAX_JSON_DEPTH): void {
  const problem = findJsonProblem(body, { maxDepth });
  if (problem === undefined) return;
  const { shown, param } = describeJsonPath(problem.path);
  throw new InvalidRequestError(
    `request body nests arrays and objects more than ${maxDepth} levels deep at ${shown}; flatten that field, or send deeply nested data as a JSON string`,
    { param },
  );
}
