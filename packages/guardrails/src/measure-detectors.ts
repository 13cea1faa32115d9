import type { PiiScanner } from './finding.ts';

/** A value a labelled text contains, as its detector should report it. */
export interface LabelledSpan {
  detector: string;
  value: string;
}

/** One line of a labelled set: a text and every value in it that a detector should find (none for a pure hard negative). */
export interface LabelledExample {
  text: string;
  spans: LabelledSpan[];
}

/** Counts and scores of one detector over a labelled set. */
export interface DetectorScore {
  detector: string;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** TP / (TP + FP); 1 when the detector found nothing. */
  precision: number;
  /** TP / (TP + FN); 1 when the set labels nothing for it. */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
}

/** A finding with no matching label (false positive) or a label with no matching finding (false negative). */
export interface Mistake {
  /** Index of the example in the set. */
  example: number;
  detector: string;
  value: string;
  type: 'false_positive' | 'false_negative';
}

export interface Measurement {
  /** One score per detector that appears in the labels or the findings, sorted by name. */
  scores: DetectorScore[];
  mistakes: Mistake[];
}

/**
 * Scores a scanner against a labelled set. A finding matches a labelled span when detector and
 * value agree (offsets are not compared: the labels carry values only); each label matches at most
 * one finding, so a value labelled once and found twice counts one false positive.
 */
export function measureDetectors(scanner: PiiScanner, examples: readonly LabelledExample[]): Measurement {
  const counts = new Map<string, { truePositives: number; falsePositives: number; falseNegatives: number }>();
  const countsOf = (detector: string) => {
    let entry = counts.get(detector);
    if (!entry) counts.set(detector, (entry = { truePositives: 0, falsePositives: 0, falseNegatives: 0 }));
    return entry;
  };
  const mistakes: Mistake[] = [];
  examples.forEach((example, index) => {
    const unmatched = example.spans.map((span) => `${span.detector}\u0000${span.value}`);
    for (const finding of scanner.scan(example.text)) {
      const at = unmatched.indexOf(`${finding.detector}\u0000${finding.value}`);
      if (at === -1) {
        countsOf(finding.detector).falsePositives++;
        mistakes.push({ example: index, detector: finding.detector, value: finding.value, type: 'false_positive' });
      } else {
        countsOf(finding.detector).truePositives++;
        unmatched.splice(at, 1);
      }
    }
    for (const key of unmatched) {
      const [detector = '', value = ''] = key.split('\u0000');
      countsOf(detector).falseNegatives++;
      mistakes.push({ example: index, detector, value, type: 'false_negative' });
    }
  });
  const scores = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([detector, count]) => score(detector, count));
  return { scores, mistakes };
}

function score(detector: string, count: { truePositives: number; falsePositives: number; falseNegatives: number }): DetectorScore {
  const found = count.truePositives + count.falsePositives;
  const labelled = count.truePositives + count.falseNegatives;
  const precision = found === 0 ? 1 : count.truePositives / found;
  const recall = labelled === 0 ? 1 : count.truePositives / labelled;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { detector, ...count, precision, recall, f1 };
}

/** Parses a labelled set in JSON Lines (`{"text": …, "spans": [{"detector": …, "value": …}]}` per line); throws naming the first bad line. */
export function parseLabelledSet(jsonl: string): LabelledExample[] {
  return jsonl
    .split('\n')
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, number }) => {
      const parsed: unknown = JSON.parse(line);
      if (!isLabelledExample(parsed)) throw new Error(`labelled set line ${number}: expected {"text": string, "spans": [{"detector": string, "value": string}]}`);
      return parsed;
    });
}

function isLabelledExample(value: unknown): value is LabelledExample {
  if (typeof value !== 'object' || value === null) return false;
  const { text, spans } = value as { text?: unknown; spans?: unknown };
  return typeof text === 'string' && Array.isArray(spans) && spans.every((span: unknown) => typeof span === 'object' && span !== null && typeof (span as LabelledSpan).detector === 'string' && typeof (span as LabelledSpan).value === 'string');
}
