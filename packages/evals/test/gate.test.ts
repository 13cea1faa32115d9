import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJunit } from '../src/gate/gate-report-junit.ts';
import { createGateReport, renderJson, renderText, type GateFailure } from '../src/gate/gate-report.ts';
import { gateVerdicts, type GateRow, type GateSide } from '../src/gate/gate-verdicts.ts';
import { meanInterval, pairedInterval, ratioInterval, tQuantile } from '../src/gate/paired-interval.ts';

describe('paired interval', () => {
  it('uses the Student-t quantile', () => {
    expect(tQuantile(0.975, 4)).toBeCloseTo(2.776, 3);
    expect(tQuantile(0.95, 10)).toBeCloseTo(1.812, 3);
  });

  it('puts a t interval on the mean per-item difference', () => {
    const interval = pairedInterval([0, 0, 0, 0, 0], [1, 2, 3, 4, 5]);
    // sd = sqrt(2.5), se = sqrt(0.5), t(0.975, 4) = 2.7764.
    expect(interval).toMatchObject({ n: 5, baselineMean: 0, candidateMean: 3, meanDelta: 3 });
    expect(interval.low).toBeCloseTo(1.0368, 3);
    expect(interval.high).toBeCloseTo(4.9632, 3);
    const narrower = pairedInterval([0, 0, 0, 0, 0], [1, 2, 3, 4, 5], 0.9);
    expect(narrower.low).toBeGreaterThan(interval.low);
  });

  it('pairs items: a shift common to every item has no spread', () => {
    expect(pairedInterval([0.2, 0.9, 0.5], [0.1, 0.8, 0.4])).toMatchObject({ n: 3 });
    const shifted = pairedInterval([1, 0, 1, 0], [0, -1, 0, -1]);
    expect(shifted).toMatchObject({ meanDelta: -1, low: -1, high: -1 });
  });

  it('gives NaN bounds with no items and infinite bounds with one', () => {
    const none = pairedInterval([], []);
    expect([none.n, none.meanDelta, none.low, none.high]).toEqual([0, Number.NaN, Number.NaN, Number.NaN]);
    expect(pairedInterval([1], [0])).toMatchObject({ n: 1, meanDelta: -1, low: -Infinity, high: Infinity });
  });

  it('refuses sides of different lengths and a confidence outside (0, 1)', () => {
    expect(() => pairedInterval([1, 2], [1])).toThrow(/one candidate value per baseline value/);
    expect(() => meanInterval([1, 2], 1)).toThrow(RangeError);
  });

  it('puts the interval on per-item ratios for cost, skipping zero baselines', () => {
    expect(ratioInterval([100, 200, 0, 50], [110, 220, 30, 55])).toEqual({
      n: 3,
      skipped: 1,
      meanRatio: 1.1,
      low: 1.1,
      high: 1.1,
    });
    const spread = ratioInterval([100, 100, 100, 100, 100], [100, 200, 300, 400, 500]);
    expect(spread.meanRatio).toBe(3);
    expect(spread.low).toBeCloseTo(1.0368, 3);
  });
});

/** A side of `n` items where every quality metric is `quality[i]`. */
function side(quality: number[], overrides: Partial<GateSide> = {}): GateSide {
  return {
    passRate: quality.map((value) => (value === 1 ? 1 : 0)),
    toolChoice: quality,
    toolArguments: quality,
    answer: quality,
    p95TtftMs: Number.NaN,
    cost: quality.map(() => 100),
    p95LatencyMs: 1000,
    latencyMs: quality.map(() => 500),
    ...overrides,
  };
}

function row(rows: GateRow[], metric: GateRow['metric']): GateRow {
  const found = rows.find((candidate) => candidate.metric === metric);
  if (found === undefined) throw new Error(`no ${metric} row`);
  return found;
}

const ones = (n: number) => Array.from({ length: n }, () => 1);

describe('gate verdicts', () => {
  it('passes identical sides with exit code 0', () => {
    const verdicts = gateVerdicts(side(ones(20)), side(ones(20)));
    expect(verdicts.exitCode).toBe(0);
    expect(verdicts.rows.map((r) => [r.metric, r.verdict])).toEqual([
      ['passRate', 'pass'],
      ['toolChoice', 'pass'],
      ['toolArguments', 'pass'],
      ['answer', 'pass'],
      ['cost', 'pass'],
      ['latency', 'pass'],
      ['p95Latency', 'pass'],
    ]);
  });

  it('declares a regression when the interval lies wholly below −maxRegression', () => {
    const candidate = [...ones(12), ...Array.from({ length: 8 }, () => 0)];
    const verdicts = gateVerdicts(side(ones(20)), side(candidate));
    const toolChoice = row(verdicts.rows, 'toolChoice');
    expect(toolChoice).toMatchObject({ baseline: 1, candidate: 0.6, verdict: 'regression', threshold: 0.05 });
    expect(toolChoice.delta).toBeCloseTo(-0.4);
    expect(toolChoice.high).toBeLessThan(-0.05);
    expect(verdicts.exitCode).toBe(1);
  });

  it('calls an interval straddling −maxRegression inconclusive, which does not fail the gate', () => {
    // One item of 20 drops: mean −0.05, 95% CI about [−0.155, +0.055].
    const verdicts = gateVerdicts(side(ones(20)), side([0, ...ones(19)]));
    const answer = row(verdicts.rows, 'answer');
    expect(answer.verdict).toBe('inconclusive');
    expect(answer.low).toBeCloseTo(-0.1547, 3);
    expect(answer.high).toBeCloseTo(0.0547, 3);
    expect(verdicts.exitCode).toBe(0);
  });

  it('judges a uniform drop against the tolerance', () => {
    const baseline = side(ones(10), { toolArguments: ones(10).map(() => 0.9) });
    const dropped = gateVerdicts(baseline, side(ones(10), { toolArguments: ones(10).map(() => 0.8) }));
    expect(row(dropped.rows, 'toolArguments').verdict).toBe('regression');
    const slight = gateVerdicts(baseline, side(ones(10), { toolArguments: ones(10).map(() => 0.875) }));
    expect(row(slight.rows, 'toolArguments').verdict).toBe('pass');
    const tolerant = gateVerdicts(baseline, side(ones(10), { toolArguments: ones(10).map(() => 0.8) }), {
      maxRegression: 0.2,
    });
    expect(row(tolerant.rows, 'toolArguments').verdict).toBe('pass');
  });

  it('leaves out items where a metric does not apply (NaN)', () => {
    const baseline = side(ones(4), { answer: [1, Number.NaN, 1, 1] });
    const candidate = side(ones(4), { answer: [0.5, 0, Number.NaN, 0.5] });
    expect(row(gateVerdicts(baseline, candidate).rows, 'answer')).toMatchObject({ baseline: 1, candidate: 0.5 });
  });

  it('fails on minPassRate when the candidate mean pass rate is below it', () => {
    const candidate = side([...ones(8), 0, 0]);
    const verdicts = gateVerdicts(side([...ones(8), 0, 0]), candidate, { minPassRate: 0.9 });
    expect(row(verdicts.rows, 'minPassRate')).toMatchObject({ candidate: 0.8, verdict: 'regression', threshold: 0.9 });
    expect(verdicts.exitCode).toBe(1);
    expect(row(gateVerdicts(side(ones(4)), side(ones(4)), { minPassRate: 0.9 }).rows, 'minPassRate').verdict).toBe('pass');
  });

  it('fails on cost when the ratio interval lies wholly above maxCostRatio', () => {
    const baseline = side(ones(5));
    const candidate = side(ones(5), { cost: [190, 200, 210, 200, 200] });
    const strict = row(gateVerdicts(baseline, candidate, { maxCostRatio: 1.5 }).rows, 'cost');
    expect(strict).toMatchObject({ baseline: 100, candidate: 200, delta: 2, verdict: 'regression', scale: 'ratio' });
    expect(strict.low).toBeGreaterThan(1.5);
    expect(row(gateVerdicts(baseline, candidate, { maxCostRatio: 2.05 }).rows, 'cost').verdict).toBe('inconclusive');
    expect(row(gateVerdicts(baseline, candidate, { maxCostRatio: 2.5 }).rows, 'cost').verdict).toBe('pass');
    expect(row(gateVerdicts(baseline, candidate).rows, 'cost').note).toMatch(/no threshold/);
  });

  it('fails on the p95 latency ratio, a single figure without interval', () => {
    const verdicts = gateVerdicts(side(ones(5)), side(ones(5), { p95LatencyMs: 1300 }), { maxP95LatencyRatio: 1.2 });
    const p95 = row(verdicts.rows, 'p95Latency');
    expect(p95).toMatchObject({ baseline: 1000, candidate: 1300, delta: 1.3, verdict: 'regression' });
    expect([p95.low, p95.high]).toEqual([Number.NaN, Number.NaN]);
    expect(p95.note).toMatch(/single figure/);
    expect(verdicts.exitCode).toBe(1);
  });

  it('adds a time-to-first-token row only when steps streamed, and fails on its p95 ratio', () => {
    expect(gateVerdicts(side(ones(5)), side(ones(5))).rows.map((each) => each.metric)).not.toContain('p95Ttft');
    const verdicts = gateVerdicts(side(ones(5), { p95TtftMs: 100 }), side(ones(5), { p95TtftMs: 250 }), { maxP95TtftRatio: 2 });
    expect(row(verdicts.rows, 'p95Ttft')).toMatchObject({ baseline: 100, candidate: 250, delta: 2.5, verdict: 'regression', threshold: 2 });
    expect(verdicts.exitCode).toBe(1);
    expect(row(gateVerdicts(side(ones(5), { p95TtftMs: 100 }), side(ones(5), { p95TtftMs: 250 })).rows, 'p95Ttft').note).toMatch(/maxP95TtftRatio unset/);
  });
});

function failures(count: number): GateFailure[] {
  return Array.from({ length: count }, (_, index) => ({
    item: index === 0 ? 'run-123' : `run-${1000 + index}`,
    step: 3,
    runId: index === 0 ? 'sub-1' : `run-${1000 + index}`,
    differences: ['tool choice: recorded [web_search], candidate [read_notes]', 'arguments of x: q: "a" vs "b"'],
  }));
}

function failingReport() {
  const baseline = side(ones(20));
  const candidate = side([...ones(12), ...Array.from({ length: 8 }, () => 0)], { cost: ones(20).map(() => 300) });
  return createGateReport({
    dataset: 'support <&> triage',
    candidate: 'openai/gpt-x',
    baseline: 'anthropic/claude-y',
    mode: { kind: 'step' },
    items: 20,
    steps: 60,
    verdicts: gateVerdicts(baseline, candidate, { maxCostRatio: 1.5 }),
    failures: failures(60),
    generatedAt: new Date('2025-01-02T03:04:05Z'),
  });
}

/** The parts of the JUnit document the test reads, as fast-xml-parser shapes them. */
interface JunitDocument {
  testsuites: {
    testsuite: {
      name: string;
      failures: string;
      testcase: { name: string; failure?: { message: string } }[];
      properties: { property: { name: string; value: string }[] };
    };
  };
}

describe('gate report', () => {
  it('caps the failing steps at 50 and counts them all', () => {
    const report = failingReport();
    expect(report.failures).toHaveLength(50);
    expect(report.failureCount).toBe(60);
    expect(report.exitCode).toBe(1);
    expect(report.generatedAt).toBe('2025-01-02T03:04:05.000Z');
  });

  it('renders text: the table rows, the failing steps and the verdict line', () => {
    const text = renderText(failingReport());
    const lines = text.trimEnd().split('\n');
    expect(lines).toContain('mode step, 20 items, 60 steps');
    expect(text).toMatch(/^metric\s+baseline\s+candidate\s+delta\s+95% CI\s+verdict$/m);
    expect(text).toMatch(/^toolChoice\s+1\.000\s+0\.600\s+-0\.400\s+\[-0\.\d{3}, -0\.\d{3}\]\s+regression$/m);
    expect(text).toMatch(/^cost\s+\$0\.000100\s+\$0\.000300\s+×3\.00\s+\[×3\.00, ×3\.00\]\s+regression$/m);
    expect(text).toMatch(/^p95Latency\s+1000 ms\s+1000 ms\s+×1\.00\s+n\/a\s+pass$/m);
    expect(lines).toContain(
      'item run-123 step 3 (run sub-1): tool choice: recorded [web_search], candidate [read_notes]; arguments of x: q: "a" vs "b"',
    );
    expect(lines).toContain('60 failing steps (first 50 shown):');
    expect(lines.at(-1)).toBe('FAIL (regression in passRate, toolChoice, toolArguments, answer, cost)');
  });

  it('renders text PASS for a passing gate', () => {
    const report = createGateReport({
      dataset: 'd',
      candidate: 'c',
      baseline: 'b',
      mode: { kind: 'fork', at: 2 },
      items: 20,
      steps: 20,
      verdicts: gateVerdicts(side(ones(20)), side(ones(20))),
      failures: [],
    });
    const lines = renderText(report).trimEnd().split('\n');
    expect(lines).toContain('mode fork at step 2, 20 items, 20 steps');
    expect(lines.at(-1)).toBe('PASS');
  });

  it('renders JSON that reads back as the report, missing bounds as null', () => {
    const report = failingReport();
    const parsed = JSON.parse(renderJson(report)) as { rows: { metric: string; low: unknown }[]; failureCount: number };
    expect(parsed.failureCount).toBe(60);
    expect(parsed.rows.find((r) => r.metric === 'p95Latency')?.low).toBeNull();
  });

  it('renders JUnit XML with one testcase per row and a failure per regression', () => {
    const report = failingReport();
    const xml = renderJunit(report);
    expect(XMLValidator.validate(xml)).toBe(true);
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (name) => name === 'testcase',
    });
    const suite = (parser.parse(xml) as JunitDocument).testsuites.testsuite;
    expect(suite.name).toBe('gantry eval gate');
    expect(suite.testcase).toHaveLength(report.rows.length);
    const failed = suite.testcase.filter((testCase) => testCase.failure !== undefined);
    expect(failed.map((testCase) => testCase.name)).toEqual(['passRate', 'toolChoice', 'toolArguments', 'answer', 'cost']);
    expect(suite.failures).toBe('5');
    expect(failed[1]?.failure?.message).toMatch(
      /^toolChoice regressed: 95% CI \[-0\.\d+, -0\.\d+\] lies below -0\.050 \(max regression 0\.05\)$/,
    );
    expect(failed[4]?.failure?.message).toMatch(/lies above ×1\.5 \(max cost ratio\)/);
    expect(suite.properties.property).toContainEqual({ name: 'dataset', value: 'support <&> triage' });
  });
});
