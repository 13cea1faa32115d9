import type { SuiteCaseResult, SuiteOutcome } from './suite-outcome.ts';

/** Failing tests listed in a text report; the JSON report has them all. */
const LISTED_LIMIT = 50;

/**
 * A suite run for a terminal or CI log: what ran, the counts, each failing test with the
 * assertions that failed and why, each test without an answer with its error, the Gantry runs
 * the steps were recorded in, then the verdict line.
 */
export function renderSuiteText(outcome: SuiteOutcome, exitCode: number): string {
  const lines = [
    `gantry eval run: suite ${outcome.suite}, dataset ${outcome.datasets.join(', ') || '(none)'}, ${outcome.candidates.join(', ')}`,
    `${outcome.total} tests: ${outcome.passed} passed, ${outcome.failed} failed, ${outcome.errors} without an answer (${(outcome.durationMs / 1000).toFixed(1)} s)`,
  ];
  const notPassed = outcome.results.filter((result) => result.status !== 'passed');
  if (notPassed.length > 0) {
    lines.push('');
    for (const result of notPassed.slice(0, LISTED_LIMIT)) lines.push(...describeResult(result));
    if (notPassed.length > LISTED_LIMIT) lines.push(`… and ${notPassed.length - LISTED_LIMIT} more (the JSON report lists all)`);
  }
  if (outcome.runIds.length > 0) lines.push('', `Gantry runs: ${outcome.runIds.join(', ')}`);
  for (const warning of outcome.warnings) lines.push(`warning: ${warning}`);
  if (outcome.blockedConnections.length > 0) lines.push(`note: refused connections off this machine: ${[...new Set(outcome.blockedConnections)].join(', ')}`);
  lines.push('', verdictLine(outcome, exitCode));
  return `${lines.join('\n')}\n`;
}

function describeResult(result: SuiteCaseResult): string[] {
  if (result.status === 'error') return [`ERROR ${result.description}: ${result.error ?? 'no answer'}`];
  return [`FAIL ${result.description}`, ...result.failures.map((failure) => `  - ${failure.assertion}: ${oneLine(failure.reason)}`)];
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

function verdictLine(outcome: SuiteOutcome, exitCode: number): string {
  if (exitCode === 3) return `INCOMPLETE (exit 3): ${outcome.errors} of ${outcome.total} tests got no answer; the counts above cover only what was answered`;
  if (exitCode === 1) return `FAIL (exit 1): ${outcome.failed} of ${outcome.total} tests failed an assertion`;
  return `PASS: all ${outcome.total} tests passed`;
}

/** The exit code of a suite run: 3 when a test got no answer (whatever else), 1 when an assertion failed, else 0. */
export function suiteExitCode(outcome: Pick<SuiteOutcome, 'errors' | 'failed'>): 0 | 1 | 3 {
  if (outcome.errors > 0) return 3;
  return outcome.failed > 0 ? 1 : 0;
}
