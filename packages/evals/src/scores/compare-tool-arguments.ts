import type { ToolArgumentRules } from '../eval-types.ts';

/** One leaf path whose value differs; `undefined` means the side has no such path. */
export interface JsonLeafDifference {
  /** `a.b`, `items[0].id`, `["odd key"]`; `$` for the whole value. */
  path: string;
  recorded: unknown;
  candidate: unknown;
}

/** How two JSON values compared, leaf by leaf. */
export interface JsonComparison {
  /** 1 when equal, else the fraction of leaf paths (union of both sides) whose values are equal. */
  score: number;
  equal: boolean;
  differences: JsonLeafDifference[];
}

/** How two tool calls' arguments compared. */
export interface ArgumentComparison extends JsonComparison {
  /** The paths of `differences`, in the same order. */
  differingPaths: string[];
}

type PathSegment = string | number;
type PatternSegment = { key: string } | { index: number } | { any: 'key' | 'index' };

const PATTERN_TOKEN = /\[(\d+|\*)\]|(^|\.)([^.[\]]+)/y;
const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/;

/**
 * Compares two tool calls' arguments (JSON text) the way a person would: key order does not
 * matter, numbers compare by value (`1` equals `1.0`), `rules.defaults` fill missing top-level
 * arguments on both sides, and `rules.ignore` paths (`a.b`, `a[0]`, `a[*].b`) are left out.
 * Blank text counts as `{}` (providers send `""` for a call without arguments). When either
 * side is not valid JSON, the two are equal only when the texts are identical.
 */
export function compareToolArguments(
  recorded: string,
  candidate: string,
  rules: ToolArgumentRules = {},
): ArgumentComparison {
  const left = parseArguments(recorded);
  const right = parseArguments(candidate);
  if (!left.ok || !right.ok) {
    const equal = recorded === candidate;
    const differences = equal ? [] : [{ path: '$', recorded, candidate }];
    return { score: equal ? 1 : 0, equal, differences, differingPaths: equal ? [] : ['$'] };
  }
  const comparison = compareJson(
    withDefaults(left.value, rules.defaults),
    withDefaults(right.value, rules.defaults),
    rules.ignore,
  );
  return { ...comparison, differingPaths: comparison.differences.map((difference) => difference.path) };
}

/**
 * Compares two parsed JSON values leaf by leaf, leaving out the subtrees `ignore` names. A leaf
 * is a scalar, or a container left empty (so `{}` and `[]` differ, and `{a: {}}` differs from
 * `{}`). Shared by the argument and answer scorers so both score partial agreement alike.
 */
export function compareJson(recorded: unknown, candidate: unknown, ignore: string[] = []): JsonComparison {
  if (kindOf(recorded) !== kindOf(candidate)) {
    return { score: 0, equal: false, differences: [{ path: '$', recorded, candidate }] };
  }
  const patterns = ignore.map(parseIgnorePath);
  const isIgnored = (path: PathSegment[]) => patterns.some((pattern) => matchesPattern(pattern, path));
  const left = collectLeaves(recorded, isIgnored);
  const right = collectLeaves(candidate, isIgnored);
  const differences: JsonLeafDifference[] = [];
  const paths = new Set([...left.keys(), ...right.keys()]);
  for (const path of paths) {
    const a = left.get(path);
    const b = right.get(path);
    if (!left.has(path) || !right.has(path) || !sameLeaf(a, b)) {
      differences.push({ path, recorded: a, candidate: b });
    }
  }
  const equal = differences.length === 0;
  // Two empty roots of one kind leave no paths at all: equal.
  const score = equal ? 1 : (paths.size - differences.length) / paths.size;
  return { score, equal, differences };
}

function parseArguments(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function withDefaults(value: unknown, defaults: Record<string, unknown> | undefined): unknown {
  if (defaults === undefined || !isPlainObject(value)) return value;
  const filled: Record<string, unknown> = { ...value };
  for (const [name, fallback] of Object.entries(defaults)) {
    if (!Object.hasOwn(filled, name)) filled[name] = fallback;
  }
  return filled;
}

/** Parses `a.b`, `a[0]`, `a[*].b` (and `a.*` for any key) into segments; throws on anything else. */
function parseIgnorePath(path: string): PatternSegment[] {
  const segments: PatternSegment[] = [];
  PATTERN_TOKEN.lastIndex = 0;
  while (PATTERN_TOKEN.lastIndex < path.length) {
    const start = PATTERN_TOKEN.lastIndex;
    const match = PATTERN_TOKEN.exec(path);
    if (match === null || (match[2] === '.' && start === 0)) {
      throw new Error(`invalid ignore path "${path}": write it as a.b, a[0] or a[*].b`);
    }
    const [, index, , key] = match;
    if (index === '*') segments.push({ any: 'index' });
    else if (index !== undefined) segments.push({ index: Number(index) });
    else if (key === '*') segments.push({ any: 'key' });
    else segments.push({ key: key ?? '' });
  }
  if (segments.length === 0) throw new Error('invalid ignore path "": name at least one argument');
  return segments;
}

function matchesPattern(pattern: PatternSegment[], path: PathSegment[]): boolean {
  if (pattern.length !== path.length) return false;
  return pattern.every((segment, position) => {
    const actual = path[position];
    if ('any' in segment) return segment.any === 'index' ? typeof actual === 'number' : typeof actual === 'string';
    if ('index' in segment) return actual === segment.index;
    return actual === segment.key;
  });
}

/**
 * Leaf values by rendered path. A container whose children were all ignored (or that has none)
 * is a leaf, except the root, whose kind {@link compareJson} compares first.
 */
function collectLeaves(root: unknown, isIgnored: (path: PathSegment[]) => boolean): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  const visit = (value: unknown, path: PathSegment[]): void => {
    if (path.length > 0 && isIgnored(path)) return;
    const children = childrenOf(value);
    if (children === undefined) {
      leaves.set(renderPath(path), value);
      return;
    }
    const before = leaves.size;
    for (const [segment, child] of children) visit(child, [...path, segment]);
    if (leaves.size === before && path.length > 0) leaves.set(renderPath(path), Array.isArray(value) ? [] : {});
  };
  visit(root, []);
  return leaves;
}

function childrenOf(value: unknown): [PathSegment, unknown][] | undefined {
  if (Array.isArray(value)) return value.map((child: unknown, index) => [index, child]);
  if (isPlainObject(value)) return Object.entries(value);
  return undefined;
}

function kindOf(value: unknown): 'array' | 'object' | 'scalar' {
  if (Array.isArray(value)) return 'array';
  return isPlainObject(value) ? 'object' : 'scalar';
}

function sameLeaf(a: unknown, b: unknown): boolean {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    return Array.isArray(a) === Array.isArray(b);
  }
  return a === b;
}

function renderPath(path: PathSegment[]): string {
  if (path.length === 0) return '$';
  let rendered = '';
  for (const segment of path) {
    if (typeof segment === 'number') rendered += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) rendered += rendered === '' ? segment : `.${segment}`;
    else rendered += `[${JSON.stringify(segment)}]`;
  }
  return rendered;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
