/**
 * The prompt-injection heuristics measured: detection and false-positive rates on the labelled set
 * (packages/guardrails/test/fixtures/injection-labelled.jsonl) per threshold and per source, the
 * examples the default threshold gets wrong, and the cost of scoring 4 KB of text (p50/p90 µs)
 * for ordinary agent traffic, prose, code, JSON, non-Latin text and injection-dense text.
 *
 *   node --import tsx test/bench/guardrails-injection.ts [--iterations 2000]
 *
 * Single process, no servers; a few seconds. Timings are wall time on whatever else the machine runs.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  DEFAULT_INJECTION_THRESHOLD,
  detectionRates,
  misclassified,
  parseLabelledInjections,
  scoreExamples,
  scoreInjection,
  type DetectionRates,
  type InjectionSource,
} from '../../packages/guardrails/src/injection/index.ts';
import { percentile } from './load.ts';

const { values: args } = parseArgs({ options: { iterations: { type: 'string', default: '2000' } } });
const ITERATIONS = Number(args.iterations);
const THRESHOLDS = [0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8];
const SIZE = 4096;
const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

const examples = parseLabelledInjections(read('../../packages/guardrails/test/fixtures/injection-labelled.jsonl'));
const scored = scoreExamples(examples);

printRates('all negatives', detectionRates(scored, THRESHOLDS));
const hard = scored.filter((example) => example.injection || example.origin.startsWith('hard-negative'));
printRates('positives vs the written hard negatives only', detectionRates(hard, THRESHOLDS));
printMistakes();
printTimings();

function printRates(title: string, rows: DetectionRates[]): void {
  console.log(`\nDetection (TPR) and false positives (FPR) — ${title}`);
  console.log('threshold | source | positives | TPR            | negatives | FPR');
  for (const row of rows) {
    const marker = row.threshold === DEFAULT_INJECTION_THRESHOLD ? ' ← default' : '';
    console.log(
      `${row.threshold.toFixed(2).padStart(9)} | ${row.source.padEnd(6)} | ${String(row.positives).padStart(9)} | ${pct(row.detectionRate)} (${row.detected}/${row.positives})`.padEnd(58) +
        ` | ${String(row.negatives).padStart(9)} | ${pct(row.falsePositiveRate)} (${row.falsePositives}/${row.negatives})${marker}`,
    );
  }
}

function printMistakes(): void {
  const { missed, falsePositives } = misclassified(scored, DEFAULT_INJECTION_THRESHOLD);
  console.log(`\nAt the default threshold ${DEFAULT_INJECTION_THRESHOLD}: ${missed.length} missed, ${falsePositives.length} false positives`);
  for (const example of [...missed, ...falsePositives]) {
    const label = example.injection ? 'missed' : 'false+';
    console.log(`  ${label} ${example.result.score.toFixed(2)} ${example.source.padEnd(4)} ${JSON.stringify(example.text).slice(0, 90)}  [${example.origin}]`);
  }
}

function printTimings(): void {
  const negatives = examples.filter((example) => !example.injection).map((example) => example.text).join('\n');
  const positives = examples.filter((example) => example.injection).map((example) => example.text).join('\n');
  const inputs: Record<string, string[]> = {
    'agent traffic (labelled negatives)': windows(negatives),
    'prose (README.md)': windows(read('../../README.md')),
    'code (a .ts source file)': windows(read('../../packages/guardrails/src/injection/fold-for-matching.ts')),
    'JSON tool result': windows(JSON.stringify(Array.from({ length: 80 }, (_, index) => ({ id: index, name: `item ${index}`, price: index * 1.5, tags: ['a', 'b'], note: 'in stock' })))),
    'non-Latin and accented prose': windows('Привет, как дела? 今日はいい天気ですね。Ça va très bien, merci — “quoted” text. Καλημέρα σας. '.repeat(60)),
    'injection-dense (labelled positives)': windows(positives),
  };
  console.log(`\nµs to score ${SIZE} characters, ${ITERATIONS} runs each. For scale, the last column is JSON.parse of a`);
  console.log(`request body carrying the same text (work the gateway does anyway), timed interleaved with the scoring.`);
  console.log('input                                  | source | p50 µs | p90 µs | JSON.parse p50 µs');
  for (const [name, texts] of Object.entries(inputs)) {
    for (const source of ['user', 'tool'] as const) {
      const { score, parse } = time(texts, source);
      console.log(`${name.padEnd(38)} | ${source.padEnd(6)} | ${percentile(score, 50).toFixed(1).padStart(6)} | ${percentile(score, 90).toFixed(1).padStart(6)} | ${percentile(parse, 50).toFixed(1).padStart(6)}`);
    }
  }
}

/** Consecutive `SIZE`-character windows of `text` (repeated to fill at least one). */
function windows(text: string): string[] {
  const filled = text.length >= SIZE ? text : text.repeat(Math.ceil(SIZE / text.length));
  const result: string[] = [];
  for (let start = 0; start + SIZE <= filled.length; start += SIZE) result.push(filled.slice(start, start + SIZE));
  return result;
}

/** Scoring times and, interleaved, JSON.parse times of a chat body carrying the same text (µs). */
function time(texts: string[], source: InjectionSource): { score: number[]; parse: number[] } {
  const bodies = texts.map((text) => JSON.stringify({ model: 'm', messages: [{ role: source, content: text }] }));
  for (let index = 0; index < 300; index++) {
    scoreInjection(texts[index % texts.length]!, source);
    JSON.parse(bodies[index % bodies.length]!);
  }
  const score: number[] = [];
  const parse: number[] = [];
  for (let index = 0; index < ITERATIONS; index++) {
    let started = performance.now();
    scoreInjection(texts[index % texts.length]!, source);
    score.push((performance.now() - started) * 1000);
    started = performance.now();
    JSON.parse(bodies[index % bodies.length]!);
    parse.push((performance.now() - started) * 1000);
  }
  return { score, parse };
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(1).padStart(5)}%`;
}
