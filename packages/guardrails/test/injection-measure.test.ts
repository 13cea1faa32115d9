import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_INJECTION_THRESHOLD,
  detectionRates,
  misclassified,
  parseLabelledInjections,
  scoreExamples,
  type InjectionScore,
  type LabelledInjection,
} from '../src/injection/index.ts';

const examples = parseLabelledInjections(readFileSync(new URL('./fixtures/injection-labelled.jsonl', import.meta.url), 'utf8'));

describe('the labelled injection set', () => {
  it('has at least 150 positives and 250 negatives, from both sources, each with its origin', () => {
    const positives = examples.filter((example) => example.injection);
    const negatives = examples.filter((example) => !example.injection);
    expect(positives.length).toBeGreaterThanOrEqual(150);
    expect(negatives.length).toBeGreaterThanOrEqual(250);
    for (const group of [positives, negatives]) {
      expect(group.some((example) => example.source === 'user')).toBe(true);
      expect(group.some((example) => example.source === 'tool')).toBe(true);
    }
    expect(new Set(examples.map((example) => example.text)).size).toBe(examples.length);
    expect(negatives.filter((example) => example.origin.startsWith('wire:')).length).toBeGreaterThan(20);
    expect(negatives.filter((example) => example.origin.startsWith('demo:')).length).toBeGreaterThan(5);
    expect(negatives.filter((example) => example.origin.startsWith('hard-negative:')).length).toBeGreaterThan(100);
  });

  it(`at the default threshold ${DEFAULT_INJECTION_THRESHOLD}: at most 2% false positives and at least 85% detected`, () => {
    const scored = scoreExamples(examples);
    const [all] = detectionRates(scored, [DEFAULT_INJECTION_THRESHOLD]);
    const { missed, falsePositives } = misclassified(scored, DEFAULT_INJECTION_THRESHOLD);
    const describeMistakes = () => [...missed, ...falsePositives].map((example) => `${example.injection ? 'missed' : 'false+'} ${example.result.score} ${example.text.slice(0, 80)}`).join('\n');
    expect(all!.falsePositiveRate, describeMistakes()).toBeLessThanOrEqual(0.02);
    expect(all!.detectionRate, describeMistakes()).toBeGreaterThanOrEqual(0.85);
  });
});

describe('measuring detection', () => {
  const tiny: LabelledInjection[] = [
    { text: 'a', source: 'user', injection: true, origin: 'test' },
    { text: 'b', source: 'tool', injection: true, origin: 'test' },
    { text: 'c', source: 'user', injection: false, origin: 'test' },
    { text: 'd', source: 'tool', injection: false, origin: 'test' },
  ];
  const fixedScores: Record<string, number> = { a: 0.9, b: 0.4, c: 0.6, d: 0.1 };
  const scorer = (text: string): InjectionScore => ({ score: fixedScores[text]!, findings: [] });

  it('counts detections and false positives per threshold and per source', () => {
    const rows = detectionRates(scoreExamples(tiny, scorer), [0.5]);
    expect(rows.map((row) => [row.source, row.detected, row.falsePositives, row.detectionRate, row.falsePositiveRate])).toEqual([
      ['all', 1, 1, 0.5, 0.5],
      ['user', 1, 1, 1, 1],
      ['tool', 0, 0, 0, 0],
    ]);
    const { missed, falsePositives } = misclassified(scoreExamples(tiny, scorer), 0.5);
    expect(missed.map((example) => example.text)).toEqual(['b']);
    expect(falsePositives.map((example) => example.text)).toEqual(['c']);
  });

  it('names the line and the field of a malformed labelled example', () => {
    expect(() => parseLabelledInjections('{"text":"x","source":"user","injection":true,"origin":"o"}\n{"text":"y","source":"bot","injection":true,"origin":"o"}')).toThrow(/line 2: "source"/);
    expect(() => parseLabelledInjections('not json')).toThrow(/line 1: not JSON/);
    expect(() => parseLabelledInjections('{"text":"x","source":"user","injection":"yes","origin":"o"}')).toThrow(/"injection" must be true or false/);
  });
});
