import path from 'node:path';
import type { EvaluateResult, GradingResult } from 'promptfoo';

/** One test case's result, as people and CI read it. */
export interface SuiteCaseResult {
  description: string;
  /** For dataset tests: the recorded item, step and span it replayed; null otherwise. */
  sourceRunId: string | null;
  stepIndex: number | null;
  sourceSpanId: string | null;
  /** `error`: no answer to assert on (the provider failed), which is neither pass nor fail. */
  status: 'passed' | 'failed' | 'error';
  score: number;
  /** The assertions that failed, with promptfoo's reason for each. */
  failures: { assertion: string; reason: string }[];
  /** The provider's error, for `error` results. */
  error: string | null;
  /** The candidate's output, cut to 500 characters. */
  output: string;
  latencyMs: number;
  tokens: number;
}

/** What a suite run came to. */
export interface SuiteOutcome {
  suite: string;
  datasets: string[];
  candidates: string[];
  total: number;
  passed: number;
  failed: number;
  /** Tests with no answer (the replayed call failed): the run is incomplete. */
  errors: number;
  results: SuiteCaseResult[];
  /** The Gantry runs the replayed steps were recorded in. */
  runIds: string[];
  /** Things that went wrong around the eval without changing its results (runs that could not be ended). */
  warnings: string[];
  /**
   * Connections refused while the suite ran, as `host:port` (none left this machine). With
   * promptfoo 0.121.20 this holds `r.promptfoo.app:443` once per process: its telemetry opt-out beacon.
   */
  blockedConnections: string[];
  durationMs: number;
}

const OUTPUT_LIMIT = 500;
const VALUE_LIMIT = 60;

/** promptfoo's result statuses: 0 passed, 1 an assertion failed, 2 error. */
const ERROR_REASON = 2;

/** The summary of promptfoo's results. */
export function summarizeResults(results: readonly EvaluateResult[]): Pick<SuiteOutcome, 'total' | 'passed' | 'failed' | 'errors' | 'results'> {
  const cases = results.map(caseResult);
  return {
    total: cases.length,
    passed: cases.filter((result) => result.status === 'passed').length,
    failed: cases.filter((result) => result.status === 'failed').length,
    errors: cases.filter((result) => result.status === 'error').length,
    results: cases,
  };
}

function caseResult(result: EvaluateResult): SuiteCaseResult {
  const metadata = result.testCase.metadata ?? {};
  const status = result.success ? 'passed' : result.failureReason === ERROR_REASON ? 'error' : 'failed';
  const output = result.response?.output;
  const text = typeof output === 'string' ? output : output === undefined ? '' : JSON.stringify(output);
  return {
    description: result.testCase.description ?? result.description ?? `test ${result.testIdx}`,
    sourceRunId: typeof metadata.sourceRunId === 'string' ? metadata.sourceRunId : null,
    stepIndex: typeof metadata.stepIndex === 'number' ? metadata.stepIndex : null,
    sourceSpanId: typeof metadata.sourceSpanId === 'string' ? metadata.sourceSpanId : null,
    status,
    score: result.score,
    failures: status === 'failed' ? failedAssertions(result.gradingResult) : [],
    error: status === 'error' ? (result.error ?? result.response?.error ?? 'no answer') : null,
    output: text.length > OUTPUT_LIMIT ? `${text.slice(0, OUTPUT_LIMIT - 1)}…` : text,
    latencyMs: result.latencyMs,
    tokens: result.tokenUsage?.total ?? 0,
  };
}

/** The failed leaves of a grading result (assert-sets looked into). */
function failedAssertions(grading: GradingResult | null | undefined): SuiteCaseResult['failures'] {
  if (grading === null || grading === undefined) return [];
  const components = grading.componentResults ?? [];
  if (components.length === 0) return grading.pass ? [] : [{ assertion: assertionLabel(grading), reason: grading.reason }];
  return components.flatMap((component) => (component.componentResults?.length ? failedAssertions(component) : component.pass ? [] : [{ assertion: assertionLabel(component), reason: component.reason }]));
}

/** `javascript toolChoiceMatches`, `equals "{{expected}}"`, `llm-rubric "The answer …"`. */
function assertionLabel(grading: GradingResult): string {
  const assertion = grading.assertion;
  if (assertion === undefined || assertion === null) return 'assertion';
  const value = assertion.value;
  if (typeof value !== 'string') return assertion.type;
  if (value.startsWith('file://')) return `${assertion.type} ${path.basename(value).replace(/^.*\.[cm]?[jt]s:/, '')}`;
  const cut = value.length > VALUE_LIMIT ? `${value.slice(0, VALUE_LIMIT - 1)}…` : value;
  return `${assertion.type} ${JSON.stringify(cut)}`;
}
