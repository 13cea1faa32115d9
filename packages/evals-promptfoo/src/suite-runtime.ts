import type { ItemSnapshot } from '@gantry/evals';
import type { ApiProvider, EvaluateTestSuite } from 'promptfoo';
import { datasetTests, type DatasetTestCase } from './dataset-tests.ts';
import { datasetTestsOptionsOf, parseDatasetTestsConfig } from './dataset-tests-config.ts';
import { GantryEmbeddingProvider } from './gantry-embedding-provider.ts';
import type { GantryConnection } from './gantry-connection.ts';
import { GantryGradingProvider } from './gantry-grading-provider.ts';
import type { GraderConfig } from './gantry-grader.ts';
import { GantryReplayProvider, type ReplayProviderConfig } from './gantry-replay-provider.ts';
import { PROMPTFOO_SWITCHES } from './promptfoo-env.ts';
import { mappingOf, suiteEntryOf, SuiteError, type SuiteConfig } from './suite-file.ts';

/** What `runSuite` was told, over what the suite file says. */
export interface SuiteSettings {
  connection: GantryConnection;
  /** Name of the suite in the replayed runs' metadata (the file's name, unless the provider config names one). */
  suiteName: string;
  dataset?: string;
  candidate?: string;
  grader?: string;
  embedder?: string;
  env: NodeJS.ProcessEnv;
}

/** A suite ready for `evaluate()`, with the providers to clean up after it. */
export interface RuntimeSuite {
  testSuite: EvaluateTestSuite;
  replayProviders: GantryReplayProvider[];
  /** Every provider of this package the suite uses, graders included: each ends its runs on cleanup. */
  cleanups: { id(): string; cleanup(): Promise<void> }[];
  /** The datasets whose steps became tests. */
  datasets: string[];
}

/** Loads a dataset's items (from Gantry, in `runSuite`). */
export type LoadDataset = (dataset: string) => Promise<ItemSnapshot[]>;

/**
 * Turns a suite file's config into the suite `evaluate()` runs: this package's entries (the replay
 * provider, the graders, the dataset tests generator) become objects built here with the
 * settings' gateway, key, dataset, candidate and grader models; promptfoo's switches are forced
 * into the suite's `env`; results are not written to promptfoo's database nor shared.
 */
export async function buildRuntimeSuite(suite: SuiteConfig, settings: SuiteSettings, loadDataset: LoadDataset): Promise<RuntimeSuite> {
  const cleanups: RuntimeSuite['cleanups'] = [];
  const replayProviders = replayProvidersOf(suite.providers, settings);
  cleanups.push(...replayProviders);
  const datasets: string[] = [];
  const tests = await testsOf(suite.tests, settings, loadDataset, datasets);
  const defaultTest = defaultTestOf(suite.defaultTest, settings, cleanups);
  // The suite is the user's promptfoo config: promptfoo checks its shape as it runs it.
  const testSuite = {
    ...suite,
    providers: replayProviders,
    tests,
    ...(defaultTest === undefined ? {} : { defaultTest }),
    env: { ...mappingOf(suite.env), ...PROMPTFOO_SWITCHES },
    writeLatestResults: false,
    sharing: false,
  } as unknown as EvaluateTestSuite;
  return { testSuite, replayProviders, cleanups, datasets };
}

/** The suite's providers: each must be the replay provider (a suite run here replays through Gantry only). */
function replayProvidersOf(providers: unknown, settings: SuiteSettings): GantryReplayProvider[] {
  const listed = providers === undefined ? [] : Array.isArray(providers) ? providers : [providers];
  const entries = listed.map((provider) => {
    const options = typeof provider === 'string' ? { id: provider } : mappingOf(provider);
    if (options === undefined || suiteEntryOf(options.id) !== 'replay-provider') {
      throw new SuiteError(`provider ${JSON.stringify(typeof provider === 'string' ? provider : options?.id)}: gantry eval run replays recorded steps through Gantry; make the suite's providers the replay provider (file://…/evals-promptfoo/src/suite-entries/replay-provider.ts)`);
    }
    return options;
  });
  if (entries.length === 0) entries.push({});
  return entries.map((entry) => {
    const config: ReplayProviderConfig = { ...(mappingOf(entry.config) as ReplayProviderConfig | undefined), gatewayUrl: settings.connection.url, apiKey: settings.connection.apiKey };
    config.suite ??= settings.suiteName;
    if (settings.candidate !== undefined) config.candidate = settings.candidate;
    if (config.candidate === undefined && settings.env.GANTRY_EVAL_CANDIDATE === undefined) {
      throw new SuiteError('no candidate model: pass --candidate (or set `candidate` in the replay provider config, or GANTRY_EVAL_CANDIDATE)');
    }
    return new GantryReplayProvider({ config, env: settings.env, ...(typeof entry.label === 'string' ? { label: entry.label } : {}) });
  });
}

/** The suite's tests, its dataset tests entries expanded into one test per recorded step. */
async function testsOf(tests: unknown, settings: SuiteSettings, loadDataset: LoadDataset, datasets: string[]): Promise<unknown[]> {
  const listed = tests === undefined ? [] : Array.isArray(tests) ? tests : [tests];
  const expanded: unknown[] = [];
  let generated = false;
  for (const entry of listed) {
    const mapping = mappingOf(entry);
    if (mapping === undefined || suiteEntryOf(mapping.path) !== 'dataset-tests') {
      expanded.push(entry);
      continue;
    }
    generated = true;
    expanded.push(...(await generatedTests(mapping.config, settings, loadDataset, datasets)));
  }
  // A suite of default assertions only: `--dataset` supplies its tests.
  if (!generated && settings.dataset !== undefined) expanded.push(...(await generatedTests({}, settings, loadDataset, datasets)));
  return expanded;
}

async function generatedTests(config: unknown, settings: SuiteSettings, loadDataset: LoadDataset, datasets: string[]): Promise<DatasetTestCase[]> {
  let options;
  try {
    const parsed = parseDatasetTestsConfig(config);
    options = datasetTestsOptionsOf({ ...parsed, ...(settings.dataset === undefined ? {} : { dataset: settings.dataset }) }, settings.env);
  } catch (error) {
    throw new SuiteError((error as Error).message);
  }
  datasets.push(options.dataset);
  return datasetTests(await loadDataset(options.dataset), options);
}

/** The suite's `defaultTest`, its grading providers built here (and added when `--grader` / `--embedder` name models). */
function defaultTestOf(defaultTest: unknown, settings: SuiteSettings, cleanups: RuntimeSuite['cleanups']): Record<string, unknown> | undefined {
  const test = mappingOf(defaultTest);
  if (test === undefined && settings.grader === undefined && settings.embedder === undefined) return undefined;
  const options = { ...mappingOf(test?.options) };
  const provider = mappingOf(options.provider);
  const single = provider !== undefined && 'id' in provider ? provider : undefined;
  const map: Record<string, unknown> = single === undefined ? { ...provider } : {};
  if (single !== undefined) {
    if (suiteEntryOf(single.id) === 'embedding-provider') map.embedding = single;
    else map.text = single;
  }
  const text = graderOf(map.text, 'grading-provider', settings.grader, settings, cleanups);
  const embedding = graderOf(map.embedding, 'embedding-provider', settings.embedder, settings, cleanups);
  if (text !== undefined) map.text = text;
  if (embedding !== undefined) map.embedding = embedding;
  if (Object.keys(map).length > 0) options.provider = map;
  return { ...test, options };
}

/** This package's grader for a `text` or `embedding` slot, when the slot names it or a model is given; else undefined (the slot stays). */
function graderOf(
  slot: unknown,
  entry: 'grading-provider' | 'embedding-provider',
  model: string | undefined,
  settings: SuiteSettings,
  cleanups: RuntimeSuite['cleanups'],
): ApiProvider | undefined {
  const options = typeof slot === 'string' ? { id: slot } : mappingOf(slot);
  const ours = options !== undefined && suiteEntryOf(options.id) === entry;
  if (!ours && model === undefined) {
    if (slot === undefined) return undefined;
    // Everything an eval run calls goes through Gantry: a grader named directly would not.
    const flag = entry === 'grading-provider' ? '--grader' : '--embedder';
    throw new SuiteError(`grading provider ${JSON.stringify(options?.id ?? slot)} would be called directly, not through Gantry: name this package's ${entry} (file://…/evals-promptfoo/src/suite-entries/${entry}.ts) or pass ${flag} MODEL`);
  }
  const config: GraderConfig = { ...(ours ? (mappingOf(options?.config) as GraderConfig | undefined) : {}), gatewayUrl: settings.connection.url, apiKey: settings.connection.apiKey };
  config.suite ??= settings.suiteName;
  if (model !== undefined) config.model = model;
  try {
    const grader = entry === 'grading-provider' ? new GantryGradingProvider({ config, env: settings.env }) : new GantryEmbeddingProvider({ config, env: settings.env });
    cleanups.push(grader);
    return grader;
  } catch (error) {
    throw new SuiteError((error as Error).message);
  }
}
