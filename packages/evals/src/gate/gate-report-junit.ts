import { create } from 'xmlbuilder2';
import {
  describeFailure,
  describeMode,
  failingStepsHeading,
  rowCells,
  verdictLine,
  type GateReport,
} from './gate-report.ts';
import type { GateRow } from './gate-verdicts.ts';

type XMLBuilder = ReturnType<typeof create>;

/** The JUnit suite name CI dashboards show for the gate. */
export const JUNIT_SUITE_NAME = 'gantry eval gate';

/**
 * The report as JUnit XML for CI dashboards: one testsuite, one testcase per metric row; a
 * regression is a `<failure>` naming the interval and the threshold, an inconclusive row is
 * `<skipped>` (it did not fail the gate, and did not pass on evidence either). The failing
 * steps go to the suite's `<system-out>`.
 */
export function renderJunit(report: GateReport): string {
  const failures = report.rows.filter((row) => row.verdict === 'regression').length;
  const skipped = report.rows.filter((row) => row.verdict === 'inconclusive').length;
  const incomplete = report.incomplete.length > 0;
  const counts = { tests: String(report.rows.length + (incomplete ? 1 : 0)), failures: String(failures), errors: incomplete ? '1' : '0', skipped: String(skipped) };
  const document = create({ version: '1.0', encoding: 'UTF-8' });
  const suite = document
    .ele('testsuites', { name: JUNIT_SUITE_NAME, ...counts })
    .ele('testsuite', { name: JUNIT_SUITE_NAME, ...counts, timestamp: report.generatedAt });
  addProperties(suite, report);
  for (const row of report.rows) addTestCase(suite, row);
  // An incomplete replay is an error of the gate, not a pass: dashboards show it broken.
  if (incomplete) {
    suite
      .ele('testcase', { classname: 'gantry.eval.gate', name: 'complete' })
      .ele('error', { type: 'incomplete', message: `incomplete: ${report.incomplete.join('; ')}` })
      .txt(report.incomplete.join('\n'));
  }
  suite.ele('system-out').txt(systemOut(report));
  return document.end({ prettyPrint: true });
}

function addProperties(suite: XMLBuilder, report: GateReport): void {
  const properties = suite.ele('properties');
  const values: [string, string][] = [
    ['dataset', report.dataset],
    ['candidate', report.candidate],
    ['baseline', report.baseline],
    ['mode', describeMode(report.mode)],
    ['items', String(report.items)],
    ['steps', String(report.steps)],
  ];
  for (const [name, value] of values) properties.ele('property', { name, value });
}

function addTestCase(suite: XMLBuilder, row: GateRow): void {
  const testCase = suite.ele('testcase', { classname: 'gantry.eval.gate', name: row.metric });
  const [, baseline, candidate, delta, interval] = rowCells(row);
  const figures = `baseline ${baseline}, candidate ${candidate}, delta ${delta}, 95% CI ${interval}`;
  if (row.verdict === 'regression') {
    testCase.ele('failure', { type: 'regression', message: `${row.metric} regressed: ${row.note}` }).txt(figures);
  } else if (row.verdict === 'inconclusive') {
    testCase.ele('skipped', { message: `${row.metric} inconclusive: ${row.note}` });
  }
}

function systemOut(report: GateReport): string {
  return [failingStepsHeading(report), ...report.failures.map(describeFailure), verdictLine(report.rows)].join('\n');
}
