import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DETECTORS, createPiiScanner, measureDetectors, parseLabelledSet, type PiiScanner } from '../src/index.ts';

const examples = parseLabelledSet(readFileSync(new URL('./fixtures/pii-labelled.jsonl', import.meta.url), 'utf8'));

describe('labelled set', () => {
  it('has at least 250 texts, a hundred without any value, and 25 labelled values per detector', () => {
    expect(examples.length).toBeGreaterThanOrEqual(250);
    expect(examples.filter((example) => example.spans.length === 0).length).toBeGreaterThanOrEqual(100);
    for (const detector of BUILTIN_DETECTORS) {
      expect(examples.flatMap((example) => example.spans).filter((span) => span.detector === detector).length, detector).toBeGreaterThanOrEqual(25);
    }
  });

  it('labels only values that occur in their text', () => {
    for (const example of examples) for (const span of example.spans) expect(example.text, span.value).toContain(span.value);
  });

  it('every built-in detector reaches precision and recall of 0.95 on it', () => {
    const { scores, mistakes } = measureDetectors(createPiiScanner({}), examples);
    const summary = scores.map((score) => `${score.detector}: P ${score.precision.toFixed(3)} R ${score.recall.toFixed(3)}`).join('; ');
    for (const detector of BUILTIN_DETECTORS) {
      const score = scores.find((candidate) => candidate.detector === detector);
      expect(score, `${detector} was never labelled nor found`).toBeDefined();
      expect(score!.precision, `${summary}\n${JSON.stringify(mistakes, null, 1)}`).toBeGreaterThanOrEqual(0.95);
      expect(score!.recall, `${summary}\n${JSON.stringify(mistakes, null, 1)}`).toBeGreaterThanOrEqual(0.95);
    }
  });
});

describe('measureDetectors', () => {
  const scripted = (findings: Record<string, { detector: string; value: string }[]>): PiiScanner => ({
    scan: (text) => (findings[text] ?? []).map((finding, index) => ({ ...finding, start: index, end: index + 1 })),
  });

  it('counts a finding as a true positive when detector and value match a label, each label once', () => {
    const scanner = scripted({
      one: [{ detector: 'email', value: 'a@example.com' }, { detector: 'email', value: 'a@example.com' }, { detector: 'phone', value: 'a@example.com' }],
      two: [],
    });
    const { scores, mistakes } = measureDetectors(scanner, [
      { text: 'one', spans: [{ detector: 'email', value: 'a@example.com' }] },
      { text: 'two', spans: [{ detector: 'ip', value: '192.0.2.1' }] },
    ]);
    expect(scores).toEqual([
      { detector: 'email', truePositives: 1, falsePositives: 1, falseNegatives: 0, precision: 0.5, recall: 1, f1: 2 / 3 },
      { detector: 'ip', truePositives: 0, falsePositives: 0, falseNegatives: 1, precision: 1, recall: 0, f1: 0 },
      { detector: 'phone', truePositives: 0, falsePositives: 1, falseNegatives: 0, precision: 0, recall: 1, f1: 0 },
    ]);
    expect(mistakes).toEqual([
      { example: 0, detector: 'email', value: 'a@example.com', type: 'false_positive' },
      { example: 0, detector: 'phone', value: 'a@example.com', type: 'false_positive' },
      { example: 1, detector: 'ip', value: '192.0.2.1', type: 'false_negative' },
    ]);
  });

  it('parseLabelledSet refuses a line without text or spans, naming the line', () => {
    expect(() => parseLabelledSet('{"text":"a","spans":[]}\n\n{"text":"b"}\n')).toThrow(/line 3/);
    expect(() => parseLabelledSet('{"text":"a","spans":[{"detector":"email"}]}')).toThrow(/line 1/);
  });
});
