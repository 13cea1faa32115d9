import type { ChatResult } from '@gantry/spec';
import type { ScoreOptions, StepAction, StepScore, ToolArgumentRules } from '../eval-types.ts';
import { compareAnswers, compareAnswersWith, type AnswerComparison, type AnswerRung } from './compare-answers.ts';
import { compareToolArguments, type ArgumentComparison, type JsonLeafDifference } from './compare-tool-arguments.ts';
import { actionOf } from './step-action.ts';

type ToolCall = StepAction['toolCalls'][number];

/** A part score with what differed, for people. */
interface PartScore {
  score: number;
  differences: string[];
}

const ANSWER_TEXT_LIMIT = 120;
const ARGUMENT_VALUE_LIMIT = 60;

/**
 * Scores a candidate's answer against the recorded one for the same step (choice 0 of each):
 * tool choice (same multiset of tool names, or both no tool with the same finish class), tool
 * arguments (calls paired by name, mean over the union of calls, 1 when neither calls tools) and,
 * when neither side called a tool and some text was said, the answer ladder. The step passes
 * when tool choice and arguments are 1 and the answer (if compared) reaches `answerThreshold`.
 */
export function scoreStep(recorded: ChatResult, candidate: ChatResult, options: ScoreOptions = {}): StepScore {
  const want = actionOf(recorded);
  const got = actionOf(candidate);
  return assemble(want, got, answered(want, got) ? compareAnswers(want.text, got.text, options) : null, options);
}

/**
 * `scoreStep` with rungs past the deterministic ladder (embedding similarity, an LLM judge):
 * `more` is asked only when an answer was compared and no deterministic rung found it equal.
 */
export async function scoreStepWith(recorded: ChatResult, candidate: ChatResult, options: ScoreOptions, more: AnswerRung | undefined): Promise<StepScore> {
  const want = actionOf(recorded);
  const got = actionOf(candidate);
  return assemble(want, got, answered(want, got) ? await compareAnswersWith(want.text, got.text, options, more) : null, options);
}

function assemble(want: StepAction, got: StepAction, answer: AnswerComparison | null, options: ScoreOptions): StepScore {
  const toolChoice = scoreToolChoice(want, got);
  const toolArguments = scoreToolArguments(want.toolCalls, got.toolCalls, options.toolArguments ?? {});
  const threshold = options.answerThreshold ?? 1;
  const answerPasses = answer === null || answer.score >= threshold;
  const differences = [...toolChoice.differences, ...toolArguments.differences];
  if (answer !== null && !answerPasses) {
    const texts = `recorded ${quote(want.text)} vs candidate ${quote(got.text)}`;
    differences.push(`answer (${answer.method}, score ${answer.score.toFixed(2)}${answer.reason === undefined ? '' : `; ${answer.reason}`}): ${texts}`);
  }
  return {
    toolChoice: toolChoice.score,
    toolArguments: toolArguments.score,
    answer: answer?.score ?? null,
    answerMethod: answer?.method ?? null,
    pass: toolChoice.score === 1 && toolArguments.score === 1 && answerPasses,
    differences,
  };
}

/** Answers are compared when neither side called a tool and at least one said something. */
function answered(want: StepAction, got: StepAction): boolean {
  const noTools = want.toolCalls.length === 0 && got.toolCalls.length === 0;
  return noTools && (want.text !== '' || got.text !== '');
}

/** 1 for the same tools in any order (a parallel batch), or no tools with the same finish class. */
function scoreToolChoice(want: StepAction, got: StepAction): PartScore {
  const wantNames = want.toolCalls.map((call) => call.name);
  const gotNames = got.toolCalls.map((call) => call.name);
  if (wantNames.length === 0 && gotNames.length === 0) {
    if (want.finish === got.finish) return { score: 1, differences: [] };
    return { score: 0, differences: [`finish: recorded ${want.finish}, candidate ${got.finish}`] };
  }
  if (sameMultiset(wantNames, gotNames)) return { score: 1, differences: [] };
  return {
    score: 0,
    differences: [`tool choice: recorded ${describeChoice(want)}, candidate ${describeChoice(got)}`],
  };
}

function sameMultiset(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const sortedB = [...b].sort();
  return [...a].sort().every((name, index) => name === sortedB[index]);
}

/** `[web_search×2, read_notes]`, or `no tool (text)`. */
function describeChoice(action: StepAction): string {
  if (action.toolCalls.length === 0) return `no tool (${action.finish})`;
  const counts = new Map<string, number>();
  for (const call of action.toolCalls) counts.set(call.name, (counts.get(call.name) ?? 0) + 1);
  const names = [...counts].map(([name, count]) => (count > 1 ? `${name}×${count}` : name));
  return `[${names.join(', ')}]`;
}

/**
 * Pairs calls of the same name best-first (the highest-scoring pair of a name is taken first, so
 * a repeated tool's calls in another order still pair up), then averages over the union of
 * calls: a call without a counterpart scores 0.
 */
function scoreToolArguments(
  recorded: ToolCall[],
  candidate: ToolCall[],
  rules: Record<string, ToolArgumentRules>,
): PartScore {
  if (recorded.length === 0 && candidate.length === 0) return { score: 1, differences: [] };
  let total = 0;
  let pairs = 0;
  const differences: string[] = [];
  for (const name of new Set([...recorded, ...candidate].map((call) => call.name))) {
    const mine = recorded.filter((call) => call.name === name);
    const theirs = candidate.filter((call) => call.name === name);
    for (const pair of pairByScore(mine, theirs, rules[name])) {
      total += pair.comparison.score;
      pairs += 1;
      if (pair.comparison.equal) continue;
      const label = mine.length > 1 ? `${name} (call ${pair.recordedIndex + 1})` : name;
      differences.push(`arguments of ${label}: ${pair.comparison.differences.map(describeLeaf).join('; ')}`);
    }
  }
  const unpaired = recorded.length + candidate.length - 2 * pairs;
  return { score: total / (pairs + unpaired), differences };
}

interface CallPair {
  recordedIndex: number;
  candidateIndex: number;
  comparison: ArgumentComparison;
}

/** Greedy best-first matching: every pair scored, then taken in descending score order. */
function pairByScore(recorded: ToolCall[], candidate: ToolCall[], rules: ToolArgumentRules | undefined): CallPair[] {
  const options: CallPair[] = [];
  recorded.forEach((mine, recordedIndex) => {
    candidate.forEach((theirs, candidateIndex) => {
      const comparison = compareToolArguments(mine.arguments, theirs.arguments, rules);
      options.push({ recordedIndex, candidateIndex, comparison });
    });
  });
  // Stable sort: ties keep the recorded order, then the candidate order.
  options.sort((a, b) => b.comparison.score - a.comparison.score);
  const usedRecorded = new Set<number>();
  const usedCandidate = new Set<number>();
  const chosen: CallPair[] = [];
  for (const option of options) {
    if (usedRecorded.has(option.recordedIndex) || usedCandidate.has(option.candidateIndex)) continue;
    usedRecorded.add(option.recordedIndex);
    usedCandidate.add(option.candidateIndex);
    chosen.push(option);
  }
  return chosen.sort((a, b) => a.recordedIndex - b.recordedIndex);
}

function describeLeaf(difference: JsonLeafDifference): string {
  return `${difference.path}: ${describeValue(difference.recorded)} vs ${describeValue(difference.candidate)}`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  return cut(JSON.stringify(value), ARGUMENT_VALUE_LIMIT);
}

function quote(text: string): string {
  return JSON.stringify(cut(text, ANSWER_TEXT_LIMIT));
}

function cut(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}
