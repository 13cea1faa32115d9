/**
 * Calibration of the semantic cache on labelled prompt pairs: what static similarity thresholds
 * would serve and get wrong, and what the per-entry policy does on the same pairs. Pure: the
 * caller embeds the prompts (through the gateway, or from precomputed vectors) and stores the
 * result.
 */
export { calibrate, DEFAULT_CALIBRATION_OPTIONS, type CalibrationOptions, type CalibrationResult } from './calibrate.ts';
export { CalibrationInputError, distinctPrompts, MAX_PROMPT_CHARS, parsePairsJsonl, type LabelledPair, type ScoredPair } from './labelled-pairs.ts';
export { groupByEntry, replayPolicy, type KindOutcome, type PolicyReplayOptions, type PolicyReplayResult } from './policy-replay.ts';
export { cosineSimilarity, scorePairs } from './score-pairs.ts';
export {
  DEFAULT_SEMBENCHMARK_PAIR_OPTIONS,
  readSemBenchmark,
  semBenchmarkEmbeddings,
  semBenchmarkPairs,
  type SemBenchmarkPairOptions,
  type SemBenchmarkPrompt,
  type SemBenchmarkReadOptions,
} from './sembenchmark-import.ts';
export { CALIBRATION_THRESHOLDS, chooseStaticThreshold, thresholdRows, type ThresholdRow } from './static-thresholds.ts';
export { wilsonUpperBound, Z_95 } from './wilson-bound.ts';
export { mulberry32 } from './seeded-random.ts';
export { firstOfEachPrompt, trafficPromptOf, type TrafficPrompt } from './traffic-prompts.ts';
export { labelTrafficPair, MIN_TRAFFIC_PAIR_SIMILARITY, trafficPairsJsonl, trafficScoredPairs, type JudgedTrafficPair, type TrafficLabelOptions } from './traffic-pairs.ts';
export { formatTrafficSource, parseTrafficSource, type TrafficSource } from './traffic-source.ts';
