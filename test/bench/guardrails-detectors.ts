import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createPiiScanner, measureDetectors, parseLabelledSet, type LabelledExample, type PiiScanner } from '../../packages/guardrails/src/index.ts';
import { AGENT_PROMPT } from './agent-prompt.ts';

/**
 * The guardrails detectors on their labelled set (precision / recall / F1 per detector) and their
 * cost: microseconds per scan of a 4 KB prompt, ordinary and dense with PII, with every built-in
 * detector on. The budget this serves: the default guardrails may add at most 0.1 ms p50 to a call
 * carrying a 4 KB prompt. Run: node --import tsx test/bench/guardrails-detectors.ts
 */
const fixtures = fileURLToPath(new URL('../../packages/guardrails/test/fixtures/', import.meta.url));
const readSet = (name: string) => parseLabelledSet(readFileSync(`${fixtures}${name}`, 'utf8'));
/** The set the detectors were tuned on (its floor is a unit test) and a smaller one written after tuning and never tuned on. */
const examples = readSet('pii-labelled.jsonl');
const heldOut = readSet('pii-heldout.jsonl');
const scanner = createPiiScanner({});

const PROMPT_BYTES = 4096;

function repeatTo(text: string, bytes: number): string {
  let out = '';
  while (out.length < bytes) out += `${text}\n`;
  return out.slice(0, bytes);
}

/** Texts with values, taken round-robin over the set (which is grouped by detector), so every kind shows up. */
function densePrompt(bytes: number): string {
  const withPii = examples.filter((example) => example.spans.length > 0).map((example) => example.text);
  const stride = 7;
  const mixed = Array.from({ length: withPii.length }, (_, index) => withPii[(index * stride) % withPii.length]!);
  return repeatTo(mixed.join('\n'), bytes);
}

const ROUNDS = 15;
const SCANS_PER_ROUND = 200;

/**
 * Median over rounds of the mean microseconds per scan of `text`. Each round calls `scannerFor()`
 * and takes from it the scanner of each of its scans, all before the round's clock starts.
 */
function microsecondsPerScan(text: string, scannerFor: () => (index: number) => PiiScanner): number {
  const warm = scannerFor();
  for (let i = 0; i < 300; i++) warm(i).scan(text);
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const scannerAt = scannerFor();
    const scanners = Array.from({ length: SCANS_PER_ROUND }, (_, index) => scannerAt(index));
    const started = process.hrtime.bigint();
    for (const each of scanners) each.scan(text);
    rounds.push(Number(process.hrtime.bigint() - started) / 1000 / SCANS_PER_ROUND);
  }
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(rounds.length / 2)]!;
}

function printScores(title: string, set: LabelledExample[]): void {
  const { scores, mistakes } = measureDetectors(scanner, set);
  const labelled = set.reduce((sum, example) => sum + example.spans.length, 0);
  console.log(`${title}: ${set.length} texts, ${labelled} labelled values, ${set.filter((example) => example.spans.length === 0).length} texts with none`);
  console.log('  detector   TP   FP   FN  precision  recall     F1');
  for (const score of scores) {
    const cells = [score.truePositives, score.falsePositives, score.falseNegatives].map((count) => String(count).padStart(4));
    console.log(`  ${score.detector.padEnd(8)} ${cells.join(' ')}  ${score.precision.toFixed(3).padStart(9)}  ${score.recall.toFixed(3).padStart(6)}  ${score.f1.toFixed(3).padStart(5)}`);
  }
  for (const mistake of mistakes) console.log(`    ${mistake.type} line ${mistake.example + 1}: ${mistake.detector} ${JSON.stringify(mistake.value)}`);
  console.log('');
}

printScores('labelled set (pii-labelled.jsonl, tuned on)', examples);
printScores('held-out set (pii-heldout.jsonl, never tuned on)', heldOut);

const ordinary = repeatTo(AGENT_PROMPT, PROMPT_BYTES);
const dense = densePrompt(PROMPT_BYTES);
console.log(`µs per scan of a ${PROMPT_BYTES}-character prompt, all built-in detectors (median of ${ROUNDS} rounds of ${SCANS_PER_ROUND}):`);
console.log('                  first seen   seen before (phone verdicts cached)');
// "First seen": every scan has a scanner of its own (made before the clock starts), so no phone
// verdict it remembers can help. "Seen before": one scanner scans the text again and again, as an
// agent's re-sent history is scanned call after call.
const firstSeen = () => () => createPiiScanner({});
const seenBefore = () => () => scanner;
for (const [name, text] of [['ordinary text', ordinary], ['dense with PII', dense]] as const) {
  const cold = microsecondsPerScan(text, firstSeen).toFixed(1).padStart(10);
  const warm = microsecondsPerScan(text, seenBefore).toFixed(1).padStart(10);
  console.log(`  ${name.padEnd(15)} ${cold}   ${warm}     (${scanner.scan(text).length} findings)`);
}
