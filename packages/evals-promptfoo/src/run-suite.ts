import path from 'node:path';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { guardEgress, hostOf } from './egress-guard.ts';
import { fetchDataset } from './fetch-dataset.ts';
import type { GantryConnection } from './gantry-connection.ts';
import { defaultPromptfooConfigDir, loadPromptfoo } from './promptfoo-env.ts';
import { mappingOf, readSuite, SuiteError } from './suite-file.ts';
import { summarizeResults, type SuiteOutcome } from './suite-outcome.ts';
import { buildRuntimeSuite, type RuntimeSuite } from './suite-runtime.ts';

/** What `runSuite` runs: a suite file, against a dataset's recorded steps, on a candidate, through a gateway. */
export interface RunSuiteOptions {
  /** A promptfoo config file (YAML); its `file://` references are read from its folder. */
  suitePath: string;
  /** Gantry's base URL, e.g. `http://127.0.0.1:4000`. */
  gatewayUrl: string;
  /** The key every call is made (and budgeted) with. */
  apiKey: string;
  /** The dataset whose steps are replayed; overrides the suite's tests entry. */
  dataset?: string;
  /** The model or alias replayed on; overrides the suite's provider config. */
  candidate?: string;
  /** The model that grades `llm-rubric` (and other model-graded) assertions. */
  grader?: string;
  /** The embedding model behind `similar`. */
  embedder?: string;
  /** promptfoo's config folder (its SQLite, cache, logs): PROMPTFOO_CONFIG_DIR, else `.gantry/promptfoo`. */
  configDir?: string;
  /** Test cases run at once (default 4). */
  maxConcurrency?: number;
  signal?: AbortSignal;
  /** Called as test cases finish. */
  onProgress?: (done: number, total: number) => void;
  /** Where unset settings are read from (GANTRY_EVAL_*); `process.env` by default. */
  env?: NodeJS.ProcessEnv;
  /**
   * Refuse the process's connections to anywhere but loopback and the gateway while the suite
   * runs (default true; see `guardEgress`). Turn off only when other work in the process must
   * reach elsewhere meanwhile.
   */
  guardEgress?: boolean;
}

const DEFAULT_CONCURRENCY = 4;

/**
 * Runs a promptfoo suite against recorded runs through Gantry, with promptfoo's `evaluate()`:
 * the suite's dataset tests become one test per recorded step, each replayed on the candidate by
 * the replay provider, and the suite's assertions (`equals`, `contains-json`, `javascript`,
 * `similar` and `llm-rubric` graded through Gantry, the step assertions) judge the answers.
 * promptfoo is imported here, with its telemetry, update check, sharing and remote generation
 * switched off first. Throws {@link SuiteError} for a suite that cannot run as written, and
 * GantryCallError when Gantry refuses (an unknown dataset: 404).
 */
export async function runSuite(options: RunSuiteOptions): Promise<SuiteOutcome> {
  const guard = options.guardEgress === false ? undefined : guardEgress([hostOf(options.gatewayUrl)]);
  try {
    const outcome = await runGuarded(options);
    // promptfoo's last calls are fire-and-forget: let them try while the guard still holds.
    await nextMacrotask();
    return { ...outcome, blockedConnections: [...(guard?.blocked ?? [])] };
  } finally {
    guard?.release();
  }
}

async function runGuarded(options: RunSuiteOptions): Promise<Omit<SuiteOutcome, 'blockedConnections'>> {
  const startedAt = Date.now();
  const promptfoo = await loadPromptfoo(options.configDir ?? defaultPromptfooConfigDir(options.env));
  const suite = await readSuite(options.suitePath);
  const connection: GantryConnection = { url: options.gatewayUrl.replace(/\/+$/, ''), apiKey: options.apiKey };
  const runtime = await buildRuntimeSuite(
    suite,
    {
      connection,
      suiteName: path.basename(options.suitePath).replace(/\.ya?ml$/i, ''),
      env: options.env ?? process.env,
      ...definedOnly({ dataset: options.dataset, candidate: options.candidate, grader: options.grader, embedder: options.embedder }),
    },
    (dataset) => fetchDataset(connection, dataset, options.signal),
  );
  const tests = runtime.testSuite.tests;
  if (!Array.isArray(tests) || tests.length === 0) {
    throw new SuiteError(`the suite ${options.suitePath} has no tests: give --dataset, or a tests entry naming this package's dataset tests (file://…/evals-promptfoo/src/suite-entries/dataset-tests.ts:datasetTestsFromGantry)`);
  }
  const warnings: string[] = [];
  let results;
  try {
    const record = await promptfoo.evaluate(runtime.testSuite, {
      ...mappingOf(suite.evaluateOptions),
      cache: false,
      showProgressBar: false,
      maxConcurrency: options.maxConcurrency ?? DEFAULT_CONCURRENCY,
      ...(options.signal === undefined ? {} : { abortSignal: options.signal }),
      ...(options.onProgress === undefined ? {} : { progressCallback: (done: number, total: number) => options.onProgress?.(done, total) }),
    });
    results = (await record.toEvaluateSummary()).results;
  } finally {
    warnings.push(...(await cleanUp(runtime)));
  }
  return {
    suite: options.suitePath,
    datasets: runtime.datasets,
    candidates: runtime.replayProviders.map((provider) => provider.id()),
    ...summarizeResults(results),
    runIds: runtime.replayProviders.flatMap((provider) => provider.runIds()),
    warnings,
    durationMs: Date.now() - startedAt,
  };
}

/** Ends the eval's runs in Gantry; what could not be ended becomes a warning. */
async function cleanUp(runtime: RuntimeSuite): Promise<string[]> {
  const outcomes = await Promise.allSettled(runtime.cleanups.map((provider) => provider.cleanup()));
  return outcomes.flatMap((outcome, index) => (outcome.status === 'rejected' ? [`${runtime.cleanups[index]?.id()}: ${(outcome.reason as Error).message}`] : []));
}

function definedOnly<T extends Record<string, string | undefined>>(values: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: string };
}
