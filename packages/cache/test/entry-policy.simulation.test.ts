import { afterAll, describe, expect, it } from 'vitest';
import { decide } from '../src/semantic/entry-policy.ts';
import {
  type Policy,
  simulate,
  type SimulationResult,
  SYNTHETIC_ENTRIES,
  type SyntheticEntry,
  withinErrorRate,
} from './entry-policy-simulation.ts';

const LOOKUPS = 4000;
const SEEDS = [1, 2, 3];

/**
 * The least share of the servable lookups (true error ≤ δ) each entry must serve. Learning from at
 * most 128 labels leaves the bound wide at δ=0.02, and a sharp boundary at 0.95 leaves little to
 * serve; the never-right entry has nothing servable.
 */
const MIN_SHARE_OF_SERVABLE: Record<string, Record<number, number>> = {
  'paraphrase (t=0.85, γ=40)': { 0.02: 0.15, 0.05: 0.35 },
  'slot swap (t=0.95, γ=150)': { 0.02: 0, 0.05: 0.12 },
  'never right': { 0.02: 0, 0.05: 0 },
  'always right above 0.7': { 0.02: 0.6, 0.05: 0.65 },
};

const report: string[] = [];

/** The streams of all seeds for one entry and δ, summed. */
function run(entry: SyntheticEntry, policy: Policy, delta: number): SimulationResult {
  const total: SimulationResult = { lookups: 0, served: 0, servedWrong: 0, servable: 0, servedLate: 0 };
  for (const seed of SEEDS) {
    const one = simulate(entry, policy, { lookups: LOOKUPS, delta, seed: seed * 7919 + delta * 1000 });
    total.lookups += one.lookups;
    total.served += one.served;
    total.servedWrong += one.servedWrong;
    total.servable += one.servable;
    total.servedLate += one.servedLate;
  }
  return total;
}

function describeResult(name: string, delta: number, result: SimulationResult): string {
  const errorRate = result.served === 0 ? 0 : result.servedWrong / result.served;
  return [
    `δ=${delta} ${name}:`,
    `served error ${(errorRate * 100).toFixed(2)}% (${result.servedWrong}/${result.served}),`,
    `hit rate ${((result.served / result.lookups) * 100).toFixed(1)}%`,
    `(second half ${((result.servedLate / (result.lookups / 2)) * 100).toFixed(1)}%),`,
    `servable ${((result.servable / result.lookups) * 100).toFixed(1)}%`,
  ].join(' ');
}

describe('entry policy on synthetic streams with a known true error rate', () => {
  afterAll(() => {
    console.log(`entry policy simulation (${SEEDS.length} seeds × ${LOOKUPS} lookups each):\n${report.join('\n')}`);
  });

  for (const delta of [0.02, 0.05]) {
    for (const entry of SYNTHETIC_ENTRIES) {
      it(`keeps the served error rate within δ=${delta} and serves a fair share of what it could: ${entry.name}`, () => {
        const policy: Policy = (similarity, observations, random) => decide(similarity, observations, { delta, random });
        const result = run(entry, policy, delta);
        report.push(describeResult(entry.name, delta, result));
        expect(withinErrorRate(result, delta), describeResult(entry.name, delta, result)).toBe(true);
        expect(result.served).toBeGreaterThanOrEqual(MIN_SHARE_OF_SERVABLE[entry.name]![delta]! * result.servable);
        if (entry.name === 'never right') expect(result.served).toBe(0);
      });
    }
  }

  it('catches a policy that breaks δ: a fixed threshold of 0.9 on the slot-swap entry', () => {
    const slotSwap = SYNTHETIC_ENTRIES.find((entry) => entry.name.startsWith('slot swap'))!;
    const threshold: Policy = (similarity) => ({
      action: similarity >= 0.9 ? 'serve' : 'explore',
      reason: 'fixed threshold 0.9',
      errorBound: Number.NaN,
      exploreProbability: similarity >= 0.9 ? 0 : 1,
    });
    const result = run(slotSwap, threshold, 0.05);
    report.push(describeResult('slot swap under a fixed 0.9 threshold', 0.05, result));
    expect(withinErrorRate(result, 0.05)).toBe(false);
  });
});
