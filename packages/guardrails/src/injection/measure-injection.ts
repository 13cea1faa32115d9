import type { InjectionScore, InjectionSource } from './injection-types.ts';
import { scoreInjection } from './score-injection.ts';

/**
 * Detection and false-positive rates of `scoreInjection` on a labelled set (one JSON object a
 * line: `{ "text", "source": "user"|"tool", "injection": true|false, "origin" }`), per threshold
 * and per source. Used by the unit test that holds the floor and by the benchmark's table.
 */

/** One line of the labelled set. */
export interface LabelledInjection {
  text: string;
  source: InjectionSource;
  injection: boolean;
  /** Where the example comes from (a paraphrased public example, a fixture path, a hard negative). */
  origin: string;
}

/** Rates at one threshold for one source (`all`: both). */
export interface DetectionRates {
  threshold: number;
  source: InjectionSource | 'all';
  positives: number;
  negatives: number;
  /** Positives scoring at or above the threshold. */
  detected: number;
  /** Negatives scoring at or above the threshold. */
  falsePositives: number;
  /** detected / positives (0 when there are none). */
  detectionRate: number;
  /** falsePositives / negatives (0 when there are none). */
  falsePositiveRate: number;
}

/** A labelled example with its score. */
export interface ScoredExample extends LabelledInjection {
  result: InjectionScore;
}

/** Parses the labelled set; throws naming the line and the field when a line is malformed. */
export function parseLabelledInjections(jsonl: string): LabelledInjection[] {
  const examples: LabelledInjection[] = [];
  jsonl.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${where}: not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof value !== 'object' || value === null) throw new Error(`${where}: expected an object`);
    const { text, source, injection, origin } = value as Record<string, unknown>;
    if (typeof text !== 'string' || text.length === 0) throw new Error(`${where}: "text" must be a non-empty string`);
    if (source !== 'user' && source !== 'tool') throw new Error(`${where}: "source" must be "user" or "tool"`);
    if (typeof injection !== 'boolean') throw new Error(`${where}: "injection" must be true or false`);
    if (typeof origin !== 'string' || origin.length === 0) throw new Error(`${where}: "origin" must say where the example comes from`);
    examples.push({ text, source, injection, origin });
  });
  return examples;
}

/** Scores every example once. */
export function scoreExamples(examples: readonly LabelledInjection[], score: (text: string, source: InjectionSource) => InjectionScore = scoreInjection): ScoredExample[] {
  return examples.map((example) => ({ ...example, result: score(example.text, example.source) }));
}

/** Rates for each threshold, for all examples and per source. */
export function detectionRates(scored: readonly ScoredExample[], thresholds: readonly number[]): DetectionRates[] {
  const rows: DetectionRates[] = [];
  for (const threshold of thresholds) {
    for (const source of ['all', 'user', 'tool'] as const) {
      const subset = source === 'all' ? scored : scored.filter((example) => example.source === source);
      rows.push(ratesAt(subset, threshold, source));
    }
  }
  return rows;
}

/** The examples a threshold gets wrong: missed injections and flagged ordinary texts. */
export function misclassified(scored: readonly ScoredExample[], threshold: number): { missed: ScoredExample[]; falsePositives: ScoredExample[] } {
  return {
    missed: scored.filter((example) => example.injection && example.result.score < threshold),
    falsePositives: scored.filter((example) => !example.injection && example.result.score >= threshold),
  };
}

function ratesAt(scored: readonly ScoredExample[], threshold: number, source: DetectionRates['source']): DetectionRates {
  const positives = scored.filter((example) => example.injection);
  const negatives = scored.filter((example) => !example.injection);
  const detected = positives.filter((example) => example.result.score >= threshold).length;
  const falsePositives = negatives.filter((example) => example.result.score >= threshold).length;
  return {
    threshold,
    source,
    positives: positives.length,
    negatives: negatives.length,
    detected,
    falsePositives,
    detectionRate: positives.length === 0 ? 0 : detected / positives.length,
    falsePositiveRate: negatives.length === 0 ? 0 : falsePositives / negatives.length,
  };
}
