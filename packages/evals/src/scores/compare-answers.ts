import type { AnswerMethod, ScoreOptions } from '../eval-types.ts';
import { compareJson } from './compare-tool-arguments.ts';

/** How two text answers compared, and which rung of the ladder decided. */
export interface AnswerComparison {
  /** 0..1. */
  score: number;
  method: AnswerMethod;
  /** Why, when a judge said so (an LLM judge's reason, the similarity found). */
  reason?: string;
}

/** Options of the answer ladder. */
export type AnswerOptions = Pick<ScoreOptions, 'numericTolerance'>;

/**
 * A further rung tried when the deterministic ladder found nothing to say (embedding similarity,
 * an LLM judge). Returning `undefined` leaves the answer `different`.
 */
export type AnswerRung = (recorded: string, candidate: string) => Promise<AnswerComparison | undefined>;

/** Relative tolerance for numeric answers when the options give none. */
export const DEFAULT_NUMERIC_TOLERANCE = 1e-6;

const TRAILING_PUNCTUATION = /[\s.,;:!?…。！？]+$/u;
const NUMBER = /^([+-]?)((?:\d{1,3}(?:[, ]\d{3})+|\d*)(?:\.\d+)?(?:e[+-]?\d+)?)\s?(%?)$/;
const CODE_FENCE = /^```[a-z]*\s*\n([\s\S]*?)\n?```$/i;

/**
 * The deterministic answer ladder, first rung that applies decides:
 * 1. `exact`: equal after trimming, collapsing whitespace, case-folding and dropping trailing
 *    punctuation → 1;
 * 2. `numeric`: both are a single number (thousands separators and a trailing `%` allowed; `%`
 *    divides by 100) → 1 when equal within the relative tolerance, else 0;
 * 3. `json`: both are JSON objects or arrays (a Markdown code fence around them is allowed) → 1
 *    when canonically equal, else the fraction of equal leaf paths;
 * 4. otherwise `different` with 0: no deterministic rung could judge them, which is where
 *    {@link compareAnswersWith} consults further rungs.
 */
export function compareAnswers(recorded: string, candidate: string, options: AnswerOptions = {}): AnswerComparison {
  const left = normaliseAnswer(recorded);
  const right = normaliseAnswer(candidate);
  if (left === right) return { score: 1, method: 'exact' };
  const leftNumber = parseNumber(left);
  const rightNumber = parseNumber(right);
  if (leftNumber !== undefined && rightNumber !== undefined) {
    const tolerance = options.numericTolerance ?? DEFAULT_NUMERIC_TOLERANCE;
    return { score: numbersClose(leftNumber, rightNumber, tolerance) ? 1 : 0, method: 'numeric' };
  }
  const leftJson = parseJsonContainer(recorded);
  const rightJson = parseJsonContainer(candidate);
  if (leftJson !== undefined && rightJson !== undefined) {
    return { score: compareJson(leftJson, rightJson).score, method: 'json' };
  }
  return { score: 0, method: 'different' };
}

/**
 * The ladder of {@link compareAnswers}, then `more` (an embedding or judge rung) when the
 * deterministic rungs ended in `different`. A rung that decided (even a numeric mismatch) is
 * final: no model should overrule `41` versus `42`.
 */
export async function compareAnswersWith(
  recorded: string,
  candidate: string,
  options: AnswerOptions = {},
  more?: AnswerRung,
): Promise<AnswerComparison> {
  const deterministic = compareAnswers(recorded, candidate, options);
  if (deterministic.method !== 'different' || more === undefined) return deterministic;
  return (await more(recorded, candidate)) ?? deterministic;
}

/** Trimmed, whitespace collapsed, case-folded, without trailing punctuation. */
export function normaliseAnswer(text: string): string {
  return text.normalize('NFKC').replace(/\s+/gu, ' ').trim().toLowerCase().replace(TRAILING_PUNCTUATION, '');
}

/** The number a normalised answer consists of, or undefined when it is anything more. */
function parseNumber(normalised: string): number | undefined {
  const match = NUMBER.exec(normalised.replace(/\u2212/gu, '-'));
  if (match === null) return undefined;
  const [, sign = '', body = '', percent = ''] = match;
  if (!/\d/.test(body)) return undefined;
  const value = Number(sign + body.replace(/[, ]/g, ''));
  if (!Number.isFinite(value)) return undefined;
  return percent === '%' ? value / 100 : value;
}

function numbersClose(a: number, b: number, tolerance: number): boolean {
  if (a === b) return true;
  return Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b));
}

/** A JSON object or array the answer consists of (optionally fenced), else undefined. */
function parseJsonContainer(text: string): object | undefined {
  const trimmed = text.trim();
  const body = CODE_FENCE.exec(trimmed)?.[1] ?? trimmed;
  if (!/^[[{]/.test(body.trim())) return undefined;
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
