import { z } from 'zod';
import type { DatasetTestsOptions, StepAssertions } from './dataset-tests.ts';
import { nonEmpty } from './provider-options.ts';

/** An assertion list of a suite file, left for promptfoo to check (it validates every assertion). */
const assertions = z.array(z.looseObject({ type: z.string() })).optional();

/**
 * The `config` of a suite's dataset tests entry:
 * `tests: [{ path: file://…/suite-entries/dataset-tests.ts:datasetTestsFromGantry, config: {…} }]`.
 */
export const datasetTestsConfigSchema = z.object({
  /** The dataset's name; default GANTRY_EVAL_DATASET (`gantry eval run --dataset` sets it). */
  dataset: z.string().min(1).optional(),
  steps: z.enum(['all', 'final']).optional(),
  assert: z.object({ all: assertions, text: assertions, toolCalls: assertions }).optional(),
  candidate: z.string().min(1).optional(),
  gatewayUrl: z.string().optional(),
  apiKey: z.string().optional(),
});

export type DatasetTestsConfig = z.infer<typeof datasetTestsConfigSchema>;

/** Parses a tests entry's config; a bad one throws naming the field. */
export function parseDatasetTestsConfig(config: unknown): DatasetTestsConfig {
  const parsed = datasetTestsConfigSchema.safeParse(config ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`dataset tests config: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
}

/** The `datasetTests` options of a parsed config; the dataset from `dataset`, else GANTRY_EVAL_DATASET. */
export function datasetTestsOptionsOf(config: DatasetTestsConfig, env: NodeJS.ProcessEnv = process.env): DatasetTestsOptions {
  const dataset = config.dataset ?? nonEmpty(env.GANTRY_EVAL_DATASET);
  if (dataset === undefined) throw new Error('no dataset: set GANTRY_EVAL_DATASET, `dataset` in the tests entry config, or pass --dataset to gantry eval run');
  // Checked only for their `type` here: promptfoo validates each assertion when the eval starts.
  const assert = config.assert as StepAssertions | undefined;
  const options: DatasetTestsOptions = { dataset };
  if (config.steps !== undefined) options.steps = config.steps;
  if (assert !== undefined) options.assert = assert;
  if (config.candidate !== undefined) options.candidate = config.candidate;
  return options;
}
