import { z } from 'zod';
import { scoreStep, type ScoreOptions, type StepScore } from '@gantry/evals';
import type { ChatResult } from '@gantry/spec';
import type { AssertionValueFunctionContext, GradingResult } from 'promptfoo';

/**
 * `javascript` assertions comparing the candidate's answer with the recorded one, step by step,
 * with the same scorer as Gantry's replays (`scoreStep`). promptfoo 0.121.20's `trajectory:*`
 * assertions read OpenTelemetry spans from promptfoo's own trace store, which a replayed step
 * does not produce (it is one model call, its tools are never run), so these stand in for them:
 *
 * ```yaml
 * - type: javascript
 *   value: file://../packages/evals-promptfoo/src/step-assertions.ts:toolChoiceMatches
 * ```
 *
 * The assertion's `config` may hold `ScoreOptions` (`toolArguments` rules per tool,
 * `numericTolerance`, `answerThreshold`).
 */

/** Enough of a chat result to score: the scorer reads choices, content parts and finish reasons. */
const chatResult = z.looseObject({
  choices: z.array(z.looseObject({ content: z.array(z.looseObject({ type: z.string() })), finishReason: z.string() })),
});

/** The recorded and candidate answers of the step under test, or why they are missing. */
function answersOf(context: AssertionValueFunctionContext): { recorded: ChatResult; candidate: ChatResult } | string {
  const recorded = chatResult.safeParse(context.test.metadata?.recordedResult);
  if (!recorded.success) return 'the test has no recorded answer (metadata.recordedResult): build it with datasetTests()';
  const candidate = chatResult.safeParse(context.providerResponse?.metadata?.candidateResult);
  if (!candidate.success) return 'the response has no candidate answer (metadata.candidateResult): run the test on the Gantry replay provider';
  // Checked for the fields the scorer reads; the rest is passed through untouched.
  return { recorded: recorded.data as unknown as ChatResult, candidate: candidate.data as unknown as ChatResult };
}

/** `step 4 (span s_…)` for the test under assertion. */
function stepLabel(context: AssertionValueFunctionContext): string {
  const metadata = context.test.metadata ?? {};
  const index = typeof metadata.stepIndex === 'number' ? metadata.stepIndex : '?';
  return typeof metadata.sourceSpanId === 'string' ? `step ${index} (span ${metadata.sourceSpanId})` : `step ${index}`;
}

/** Scores the step; a GradingResult when it cannot be scored. */
function scored(context: AssertionValueFunctionContext): StepScore | GradingResult {
  const answers = answersOf(context);
  if (typeof answers === 'string') return { pass: false, score: 0, reason: `${stepLabel(context)}: ${answers}` };
  return scoreStep(answers.recorded, answers.candidate, (context.config ?? {}) as ScoreOptions);
}

function grade(context: AssertionValueFunctionContext, what: string, pick: (score: StepScore) => { value: number; pass: boolean }): GradingResult {
  const score = scored(context);
  if ('reason' in score) return score;
  const { value, pass } = pick(score);
  const detail = score.differences.length === 0 ? '' : ` (${score.differences.join('; ')})`;
  return { pass, score: value, reason: `${stepLabel(context)}: ${what} ${pass ? 'as recorded' : 'not as recorded'}${detail}` };
}

/** Passes when the candidate called the same tools as recorded (any order), or both answered without tools alike. */
export function toolChoiceMatches(_output: string, context: AssertionValueFunctionContext): GradingResult {
  return grade(context, 'tool choice', (score) => ({ value: score.toolChoice, pass: score.toolChoice === 1 }));
}

/** Passes when every tool call's arguments equal the recorded ones (after the configured ignore/default rules). */
export function toolArgumentsMatch(_output: string, context: AssertionValueFunctionContext): GradingResult {
  return grade(context, 'tool arguments', (score) => ({ value: score.toolArguments, pass: score.toolArguments === 1 }));
}

/** Passes when the step agrees as a whole: tool choice, arguments and (for text answers) the answer. */
export function stepAgrees(_output: string, context: AssertionValueFunctionContext): GradingResult {
  return grade(context, 'step', (score) => ({ value: score.pass ? 1 : (score.toolChoice + score.toolArguments + (score.answer ?? 1)) / 3, pass: score.pass }));
}
