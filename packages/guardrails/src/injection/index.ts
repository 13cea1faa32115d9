/**
 * Prompt-injection heuristics: `scoreInjection` for a score and findings (what to do with them —
 * log, flag, block — is the guardrail middleware's policy), and the measurement used by the tests
 * and the benchmark.
 */
export type { InjectionFinding, InjectionScore, InjectionSignal, InjectionSource, SourceWeights } from './injection-types.ts';
export { combineFindings, DEFAULT_INJECTION_THRESHOLD, scoreInjection } from './score-injection.ts';
export {
  detectionRates,
  misclassified,
  parseLabelledInjections,
  scoreExamples,
  type DetectionRates,
  type LabelledInjection,
  type ScoredExample,
} from './measure-injection.ts';
