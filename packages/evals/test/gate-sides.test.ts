import { describe, expect, it } from 'vitest';
import { gateSides, p95, type GateItem } from '../src/gate/gate-sides.ts';
import type { ItemStatus, ItemSummary } from '../src/replay/item-summary.ts';

/** An item's roll-up: two passing steps unless `overrides` say otherwise. */
function summary(overrides: Partial<ItemSummary> = {}): ItemSummary {
  return {
    pass: true,
    steps: 2,
    passedSteps: 2,
    failedCalls: 0,
    toolChoice: 1,
    toolArguments: 1,
    answer: null,
    costMicros: 100,
    recordedCostMicros: 80,
    latenciesMs: [10, 20],
    recordedLatenciesMs: [15, 25],
    ttftsMs: [],
    recordedTtftsMs: [],
    divergence: null,
    ...overrides,
  };
}

function item(position: number, candidate: number, status: ItemStatus, overrides: Partial<ItemSummary> = {}): GateItem {
  return { position, candidate, status, summary: summary(overrides) };
}

/** Candidate 0's items, listed out of position order, and another candidate's that must not count. */
const candidateItems: GateItem[] = [
  item(2, 0, 'scored', { answer: 0.5, costMicros: 300, recordedCostMicros: 200, latenciesMs: [30], recordedLatenciesMs: [35], steps: 1, passedSteps: 1 }),
  item(0, 0, 'scored', { answer: 1, costMicros: 100, recordedCostMicros: 90, latenciesMs: [10, 20], recordedLatenciesMs: [12, 18] }),
  item(1, 0, 'diverged', { pass: false, passedSteps: 1, toolChoice: 0.5, toolArguments: 0.75, costMicros: 50, recordedCostMicros: 60, latenciesMs: [40, 5], recordedLatenciesMs: [45, 6] }),
  item(0, 1, 'scored', { costMicros: 9_999 }),
];

describe('gateSides against the recorded runs', () => {
  it("pairs each of the candidate's items with its recorded run, in position order", () => {
    const sides = gateSides(candidateItems, 0, { kind: 'recorded' });
    expect(sides.candidate).toEqual({
      passRate: [1, 0, 1],
      toolChoice: [1, 0.5, 1],
      toolArguments: [1, 0.75, 1],
      answer: [1, Number.NaN, 0.5],
      cost: [100, 50, 300],
      latencyMs: [30, 45, 30],
      p95LatencyMs: 40,
      p95TtftMs: Number.NaN,
    });
    expect(sides).toMatchObject({ items: 3, steps: 2 + 2 + 1, incomplete: 0 });
  });

  it('makes the recorded side agree with itself, at the recorded cost and latency of the steps replayed', () => {
    const { baseline } = gateSides(candidateItems, 0, { kind: 'recorded' });
    expect(baseline).toEqual({
      passRate: [1, 1, 1],
      toolChoice: [1, 1, 1],
      toolArguments: [1, 1, 1],
      // An answer applies to the recorded side where it applied to the candidate's.
      answer: [1, Number.NaN, 1],
      cost: [90, 60, 200],
      latencyMs: [30, 51, 35],
      p95LatencyMs: 45,
      p95TtftMs: Number.NaN,
    });
  });

  it('leaves incomplete items out of both sides and counts them', () => {
    const items = [...candidateItems, item(3, 0, 'incomplete', { pass: false, failedCalls: 1, costMicros: 1 }), item(4, 1, 'incomplete')];
    const sides = gateSides(items, 0, { kind: 'recorded' });
    expect(sides.items).toBe(3);
    expect(sides.candidate.cost).toEqual([100, 50, 300]);
    expect(sides.baseline.cost).toEqual([90, 60, 200]);
    // Another candidate's incomplete item is not this comparison's.
    expect(sides.incomplete).toBe(1);
  });

  it('gives empty sides with NaN p95 when nothing ended', () => {
    const sides = gateSides([item(0, 0, 'incomplete')], 0, { kind: 'recorded' });
    expect(sides).toMatchObject({ items: 0, steps: 0, incomplete: 1 });
    expect(sides.candidate.passRate).toEqual([]);
    expect(sides.baseline.p95LatencyMs).toBeNaN();
  });
});

describe('gateSides against another candidate', () => {
  const baselineItems: GateItem[] = [
    item(1, 2, 'scored', { pass: true, toolChoice: 1, toolArguments: 1, costMicros: 40, recordedCostMicros: 60, latenciesMs: [100, 200] }),
    item(0, 2, 'scored', { answer: 0.25, costMicros: 70, recordedCostMicros: 90, latenciesMs: [300, 50] }),
    item(2, 2, 'incomplete', { pass: false, failedCalls: 2 }),
  ];

  it("uses the other candidate's items at the same positions, its own cost and latency", () => {
    const sides = gateSides([...candidateItems, ...baselineItems], 0, { kind: 'candidate', index: 2 });
    expect(sides.items).toBe(2);
    expect(sides.candidate.cost).toEqual([100, 50]);
    expect(sides.baseline).toEqual({
      passRate: [1, 1],
      toolChoice: [1, 1],
      toolArguments: [1, 1],
      answer: [0.25, Number.NaN],
      cost: [70, 40],
      latencyMs: [350, 300],
      p95LatencyMs: 300,
      p95TtftMs: Number.NaN,
    });
    // Each side's p95 is over its own paired items: candidate 0's third item is not paired.
    expect(sides.candidate.p95LatencyMs).toBe(40);
    expect(sides.steps).toBe(4);
  });

  it("leaves out items incomplete on either side and counts both sides' incomplete items", () => {
    const items = [...candidateItems, ...baselineItems, item(3, 0, 'incomplete'), item(3, 2, 'scored'), item(5, 1, 'incomplete')];
    const sides = gateSides(items, 0, { kind: 'candidate', index: 2 });
    expect(sides.items).toBe(2);
    expect(sides.candidate.latencyMs).toEqual([30, 45]);
    expect(sides.incomplete).toBe(2);
  });

  it('leaves out positions the baseline has no item for yet', () => {
    const sides = gateSides([...candidateItems, baselineItems[1]!], 0, { kind: 'candidate', index: 2 });
    expect(sides.items).toBe(1);
    expect(sides.candidate.cost).toEqual([100]);
    expect(sides.baseline.cost).toEqual([70]);
  });
});

describe('p95', () => {
  it('is the nearest-rank 95th percentile of figures in any order', () => {
    const shuffled = (count: number) => Array.from({ length: count }, (_, index) => ((index * 11) % count) + 1);
    expect(p95([7])).toBe(7);
    expect(p95([5, 1])).toBe(5);
    // Rank ⌈0.95 × n⌉: 19 of 20, 20 of 21, 95 of 100.
    expect(p95(shuffled(20))).toBe(19);
    expect(p95(shuffled(21))).toBe(20);
    expect(p95(Array.from({ length: 100 }, (_, index) => 100 - index))).toBe(95);
    expect(p95([3, 1, 2, 1_000])).toBe(1_000);
  });

  it('is NaN for no figures', () => {
    expect(p95([])).toBeNaN();
  });

  it('leaves its argument unsorted', () => {
    const values = [3, 1, 2];
    p95(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('rolls up the time to first token of streamed steps, the candidate’s and the recorded', () => {
    const items = [item(0, 0, 'scored', { ttftsMs: [5, 7], recordedTtftsMs: [10, 12] }), item(1, 0, 'scored', { ttftsMs: [9], recordedTtftsMs: [20] })];
    const sides = gateSides(items, 0, { kind: 'recorded' });
    expect(sides.candidate.p95TtftMs).toBe(9);
    expect(sides.baseline.p95TtftMs).toBe(20);
  });
});
