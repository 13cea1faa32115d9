import { InvalidRequestError } from '@gantry/spec';
import type { z } from 'zod';

/** `messages[2].content[0].type` from a zod issue path. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // zod keeps `input` on issues only when parsing with `reportInput: true`; without it every
  // value would read as missing, so fall back to zod's own message.
  if (issue.code === 'invalid_type' && 'input' in issue) {
    const received = issue.input === undefined ? 'nothing (the field is required)' : issue.input === null ? 'null' : Array.isArray(issue.input) ? 'an array' : `a ${typeof issue.input}`;
    return `expected ${issue.expected}, got ${received}`;
  }
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  return issue.message;
}

/**
 * One client-facing error from a failed parse: the first issue, its field path and what is
 * accepted. The first issue is the one a human fixes first; the rest usually follow from it.
 * Parse with `{ reportInput: true }` so that a wrong type can say what was sent.
 */
export function toInvalidRequestError(error: z.ZodError, what: string): InvalidRequestError {
  // Union failures carry nested issues; the deepest one names the real field.
  let issue = error.issues[0] as z.core.$ZodIssue;
  let prefix: PropertyKey[] = [];
  while (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const candidates = issue.errors.flat();
    const deepest = candidates.reduce((best, next) => (next.path.length > best.path.length ? next : best), candidates[0] as z.core.$ZodIssue);
    if (!deepest || deepest.path.length === 0) break;
    prefix = [...prefix, ...issue.path];
    issue = deepest;
  }
  const param = formatIssuePath([...prefix, ...issue.path]);
  const detail = describeIssue(issue);
  const message = param === '' ? `invalid ${what}: ${detail}` : `invalid ${what}: ${param}: ${detail}`;
  return new InvalidRequestError(message, { param: param || undefined });
}
