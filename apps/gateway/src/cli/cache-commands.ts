import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { answerJudgeNames } from '@gantry/cache';
import {
  calibrate,
  CalibrationInputError,
  distinctPrompts,
  parsePairsJsonl,
  readSemBenchmark,
  scorePairs,
  semBenchmarkEmbeddings,
  semBenchmarkPairs,
  type CalibrationResult,
  type LabelledPair,
  type ScoredPair,
} from '@gantry/cache/calibration';
import type { CalibrationView } from '../routes/cache-calibrations-routes.ts';
import { CliError, type ConnectGateway, type GatewayClient } from './admin-client.ts';
import { DEFAULT_TRAFFIC_LIMIT, DEFAULT_TRAFFIC_SINCE, scoredTrafficPairs } from './cache-traffic-source.ts';
import { addApiKeyOption, clientFor, integerArgument, numberArgument } from './eval-cli-options.ts';
import { formatTable } from './format-table.ts';
import { progressBar, type ProgressStream } from './gate-progress.ts';

/** `gantry cache calibrate`'s options as commander parses them. */
export interface CalibrateOptions {
  pairs?: string;
  sembenchmark?: string;
  traffic?: boolean;
  since?: string;
  limit?: number;
  judge?: string;
  judgeModel?: string;
  replay?: boolean;
  savePairs?: string;
  model?: string;
  embeddingColumn?: string;
  maxPairs: number;
  targetPrecision: number;
  delta: number;
  passes: number;
  seed: number;
  json?: boolean;
}

/** Inputs per `POST /v1/embeddings`: few requests, each well under any provider's input limit. */
export const EMBEDDING_BATCH_SIZE = 64;

/** The labelled pairs to calibrate on, where they came from, and any embeddings they carry. */
interface LoadedPairs {
  source: string;
  pairs: LabelledPair[];
  /** Precomputed embeddings by prompt (SemBenchmark with --embedding-column); else undefined. */
  embeddings?: Map<string, number[]>;
}

async function readText(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((error: unknown) => {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  });
}

/** Options that only mean something for recorded traffic, with their flags. */
const TRAFFIC_ONLY_OPTIONS = [
  ['since', '--since'],
  ['limit', '--limit'],
  ['judge', '--judge'],
  ['judgeModel', '--judge-model'],
  ['replay', '--replay'],
  ['savePairs', '--save-pairs'],
] as const satisfies readonly (readonly [keyof CalibrateOptions, string])[];

/** Refuses a combination of options that would leave one of them unused, before any call. */
function checkOptions(options: CalibrateOptions): void {
  const sources = [options.pairs, options.sembenchmark, options.traffic].filter((source) => source !== undefined);
  if (sources.length !== 1) throw new CliError('give exactly one of --pairs <file.jsonl>, --sembenchmark <file> or --traffic');
  if (options.traffic === undefined) {
    const stray = TRAFFIC_ONLY_OPTIONS.find(([name]) => options[name] !== undefined);
    if (stray !== undefined) throw new CliError(`${stray[1]} only applies with --traffic (calibrating on recorded traffic)`);
  }
  if (options.judge === 'exact' && options.judgeModel !== undefined) throw new CliError('--judge-model names the embedding or llm judge\'s model; --judge exact compares answers itself');
  if (options.embeddingColumn !== undefined && options.sembenchmark === undefined) throw new CliError('--embedding-column only applies with --sembenchmark');
  if (options.model !== undefined && options.embeddingColumn !== undefined) throw new CliError('give --model (embed through the gateway) or --embedding-column (precomputed embeddings), not both');
  if (options.model === undefined && options.embeddingColumn === undefined) {
    const local = options.traffic === true ? ', or local for the built-in one' : '';
    throw new CliError(`--model <embeddings model> is required: the model (alias or provider/model${local}) the gateway embeds the prompts with`);
  }
}

/** Reads the pairs of --pairs or --sembenchmark; input errors name the file. */
async function loadPairs(options: CalibrateOptions): Promise<LoadedPairs> {
  const file = (options.pairs ?? options.sembenchmark)!;
  const text = await readText(file);
  try {
    if (options.pairs !== undefined) return { source: `pairs:${file}`, pairs: parsePairsJsonl(text) };
    const prompts = readSemBenchmark(text, options.embeddingColumn === undefined ? {} : { embeddingColumn: options.embeddingColumn });
    const pairs = semBenchmarkPairs(prompts, { maxPairs: options.maxPairs, seed: options.seed });
    return { source: `sembenchmark:${file}`, pairs, ...(options.embeddingColumn === undefined ? {} : { embeddings: semBenchmarkEmbeddings(prompts) }) };
  } catch (error) {
    if (error instanceof CalibrationInputError) throw new CliError(`${file}: ${error.message}`);
    throw error;
  }
}

/** The vectors of one `POST /v1/embeddings` answer, in input order; throws on a malformed one. */
function vectorsOf(answer: unknown, expected: number): number[][] {
  const data = (answer as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length !== expected) throw new CliError(`the embeddings answer had ${Array.isArray(data) ? data.length : 'no'} vectors for ${expected} inputs`);
  const vectors: number[][] = new Array<number[]>(expected);
  for (const item of data as { index?: unknown; embedding?: unknown }[]) {
    const { index, embedding } = item;
    if (typeof index !== 'number' || index < 0 || index >= expected || !Array.isArray(embedding) || !embedding.every((value) => typeof value === 'number')) {
      throw new CliError('the embeddings answer held an item without a float vector at a valid index (was encoding_format "float" honoured?)');
    }
    vectors[index] = embedding as number[];
  }
  return vectors;
}

/** A bar on a terminal's stderr while prompts are embedded; nothing anywhere else. */
class EmbedProgress {
  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
  ) {}

  update(done: number, calls: number): void {
    if (this.stream.isTTY !== true) return;
    this.stream.write(`\r${progressBar(done / this.total)} ${done}/${this.total} prompts embedded (${calls} ${calls === 1 ? 'call' : 'calls'})\u001b[K`);
  }

  finish(): void {
    if (this.stream.isTTY === true) this.stream.write('\r\u001b[K');
  }
}

/**
 * Embeds `prompts` through the gateway's `POST /v1/embeddings`, {@link EMBEDDING_BATCH_SIZE} at a
 * time, so the calls are authorised, budgeted, recorded and billed like any other call of the key.
 */
export async function embedPrompts(client: GatewayClient, model: string, prompts: readonly string[], stream: ProgressStream): Promise<{ embeddings: Map<string, number[]>; calls: number }> {
  const embeddings = new Map<string, number[]>();
  const progress = new EmbedProgress(stream, prompts.length);
  let calls = 0;
  try {
    for (let start = 0; start < prompts.length; start += EMBEDDING_BATCH_SIZE) {
      const batch = prompts.slice(start, start + EMBEDDING_BATCH_SIZE);
      const answer = await client.call('POST', '/v1/embeddings', { model, input: batch, encoding_format: 'float' });
      calls += 1;
      vectorsOf(answer, batch.length).forEach((vector, index) => embeddings.set(batch[index]!, vector));
      progress.update(embeddings.size, calls);
    }
  } finally {
    progress.finish();
  }
  return { embeddings, calls };
}

/** The `POST /v1/cache/calibrations` body of a result. */
export function calibrationBody(source: string, model: string, result: CalibrationResult): Record<string, unknown> {
  const { policy } = result;
  return {
    source,
    model,
    pairs: result.pairs,
    target_precision: result.targetPrecision,
    rows: result.rows.map((row) => ({ threshold: row.threshold, hit_rate: row.hitRate, precision: row.precision, errors: row.errors, error_upper: row.errorUpper })),
    static_threshold: result.staticThreshold,
    policy: {
      delta: policy.delta,
      passes: policy.passes,
      seed: policy.seed,
      entries: policy.entries,
      serving_entries: policy.servingEntries,
      lookups: policy.lookups,
      hits: policy.hits,
      hit_rate: policy.hitRate,
      precision: policy.precision,
      errors: policy.errors,
      error_upper: policy.errorUpper,
      explorations: policy.explorations,
      by_kind: policy.byKind,
    },
  };
}

const percent = (share: number | null): string => (share === null ? '-' : `${(share * 100).toFixed(1)}%`);

/**
 * The printed calibration: the curve every 0.05 plus the chosen threshold, the static choice,
 * and the per-entry policy on the same pairs, kind by kind.
 */
export function renderCalibration(view: CalibrationView): string {
  const shown = view.rows.filter((row) => Math.round(row.threshold * 100) % 5 === 0 || row.threshold === view.static_threshold);
  const table = formatTable(
    shown.map((row) => ({
      threshold: row.threshold.toFixed(2),
      hit_rate: percent(row.hit_rate),
      precision: percent(row.precision),
      errors: String(row.errors),
      error_upper: percent(row.error_upper),
      note: row.threshold === view.static_threshold ? '<- lowest meeting the target' : '',
    })),
  );
  const chosen = view.rows.find((row) => row.threshold === view.static_threshold);
  const target = `precision ${percent(view.target_precision)} (95% upper bound on errors ≤ ${percent(1 - view.target_precision)})`;
  const staticLine =
    chosen === undefined
      ? `static threshold for ${target}: none from 0.50 to 0.99 qualifies`
      : `static threshold for ${target}: ${chosen.threshold.toFixed(2)}, hit rate ${percent(chosen.hit_rate)}, precision ${percent(chosen.precision)}`;
  const { policy } = view;
  const kinds = Object.entries(policy.by_kind)
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([kind, outcome]) => `${kind} ${outcome.hits}/${outcome.lookups} served, ${outcome.errors} wrong`);
  return [
    `Calibration ${view.id}: ${view.pairs} pairs from ${view.source}, embedded with ${view.model}`,
    '',
    table,
    '',
    staticLine,
    `per-entry policy (δ=${policy.delta}, ${policy.passes} passes, seed ${policy.seed}): hit rate ${percent(policy.hit_rate)} (${policy.hits}/${policy.lookups} lookups), ` +
      `precision ${percent(policy.precision)}, ${policy.errors} served ${policy.errors === 1 ? 'error' : 'errors'} (95% upper bound ${percent(policy.error_upper)}); ` +
      `${policy.serving_entries} of ${policy.entries} entries served`,
    `  by kind: ${kinds.join('; ')}`,
  ].join('\n');
}

/** Pairs of a file (--pairs, --sembenchmark), embedded through the gateway unless the file carries embeddings. */
async function scoredFilePairs(options: CalibrateOptions, client: GatewayClient): Promise<{ source: string; model: string; pairs: ScoredPair[] }> {
  const loaded = await loadPairs(options);
  const prompts = distinctPrompts(loaded.pairs);
  let embeddings = loaded.embeddings;
  const model = options.embeddingColumn === undefined ? options.model! : `column:${options.embeddingColumn}`;
  if (embeddings === undefined) {
    const embedded = await embedPrompts(client, options.model!, prompts, process.stderr);
    embeddings = embedded.embeddings;
    console.error(`Embedded ${prompts.length} prompts with ${options.model} in ${embedded.calls} ${embedded.calls === 1 ? 'call' : 'calls'}.`);
  }
  try {
    return { source: loaded.source, model, pairs: scorePairs(loaded.pairs, embeddings) };
  } catch (error) {
    if (error instanceof CalibrationInputError) throw new CliError(error.message);
    throw error;
  }
}

/** Runs `gantry cache calibrate`: load, embed, compute, store, print. */
async function runCalibrate(options: CalibrateOptions, client: GatewayClient): Promise<void> {
  const { source, model, pairs } =
    options.traffic === true
      ? await scoredTrafficPairs(client, {
          model: options.model!,
          replay: options.replay === true,
          ...(options.since === undefined ? {} : { since: options.since }),
          ...(options.limit === undefined ? {} : { limit: options.limit }),
          ...(options.judge === undefined ? {} : { judge: options.judge }),
          ...(options.judgeModel === undefined ? {} : { judgeModel: options.judgeModel }),
          ...(options.savePairs === undefined ? {} : { savePairs: options.savePairs }),
        })
      : await scoredFilePairs(options, client);
  let result: CalibrationResult;
  try {
    result = calibrate(pairs, { targetPrecision: options.targetPrecision, delta: options.delta, passes: options.passes, seed: options.seed });
  } catch (error) {
    if (error instanceof CalibrationInputError) throw new CliError(error.message);
    throw error;
  }
  const stored = (await client.call('POST', '/v1/cache/calibrations', calibrationBody(source, model, result))) as CalibrationView;
  if (options.json === true) return console.log(JSON.stringify(stored, null, 2));
  console.log(`${renderCalibration(stored)}\n\nStored as ${stored.id}: GET /v1/cache/calibrations/${stored.id}`);
}

/** --traffic waits on the gateway's embedding and search, and on batches of replays: minutes rather than the usual minute. */
const TRAFFIC_REQUEST_TIMEOUT_MS = 30 * 60_000;

/** The client for the command: as any command's, with a longer wait per request for --traffic. */
function calibrationClient(options: CalibrateOptions, command: Command, connect: ConnectGateway): GatewayClient {
  if (options.traffic !== true) return clientFor(command, connect);
  const globals = command.optsWithGlobals<{ url?: string; apiKey?: string }>();
  return connect({ ...(globals.url === undefined ? {} : { url: globals.url }), ...(globals.apiKey === undefined ? {} : { apiKey: globals.apiKey }), requestTimeoutMs: TRAFFIC_REQUEST_TIMEOUT_MS });
}

/**
 * `gantry cache calibrate`: on labelled prompt pairs, what static similarity thresholds would do
 * and what the per-entry policy does, stored for the console to plot.
 */
export function addCacheCommands(program: Command, connect: ConnectGateway): void {
  const cache = program.command('cache').description('the semantic cache: calibrate similarity thresholds against the per-entry policy');
  addApiKeyOption(
    cache
      .command('calibrate')
      .description('embed labelled prompt pairs (or pairs of recorded traffic, judged) through the gateway, print the static-threshold curve and the per-entry policy, and store the result')
      .option('--pairs <file.jsonl>', 'labelled pairs, one {"a","b","same","kind"} per line (e.g. evals/cache-calibration.jsonl)')
      .option('--sembenchmark <file>', "a vCache SemBenchmark export (JSON Lines, JSON or CSV with prompt and id_set): pairs within an id_set are 'same'")
      .option('--traffic', "recorded traffic the key can see: each first-turn prompt paired with its nearest earlier prompt of its partition, labelled by comparing their answers")
      .option('--since <when>', `with --traffic: the window's start, a date, a date-time or a span back from now like 24h, 7d, 2w (default ${DEFAULT_TRAFFIC_SINCE})`)
      .option('--limit <n>', `with --traffic: read at most this many of the most recent prompts (default ${DEFAULT_TRAFFIC_LIMIT})`, integerArgument(2, 5_000))
      .addOption(new Option('--judge <judge>', "with --traffic: how answers are compared (default: the gateway's cache.semantic.judge, else exact)").choices(answerJudgeNames))
      .option('--judge-model <model>', 'with --traffic: the embedding judge\'s embeddings model (default --model) or the llm judge\'s chat model (default cache.semantic.judge_model)')
      .option('--replay', 'with --traffic: ask each newer prompt again through the gateway (cache off, billed to the key) and judge that answer rather than the recorded one')
      .option('--save-pairs <file.jsonl>', 'with --traffic: write the judged pairs in the --pairs format, to calibrate on them again without judging')
      .option('--model <model>', 'the embeddings model or alias to embed the prompts with (with --traffic also local, the built-in model)')
      .option('--embedding-column <column>', 'with --sembenchmark: use this column of precomputed embeddings (e.g. emb_gte) instead of --model')
      .option('--max-pairs <n>', 'with --sembenchmark: at most this many pairs', integerArgument(2, 100_000), 2_000)
      .option('--target-precision <p>', 'precision a static threshold must keep, by its 95% error upper bound', numberArgument(0, 0.9999, true), 0.98)
      .option('--delta <δ>', "the per-entry policy's error target", numberArgument(0, 0.5, true), 0.02)
      .option('--passes <n>', 'times each entry sees all its pairs (a stream of repeats)', integerArgument(1, 1_000), 5)
      .option('--seed <n>', 'seed of the SemBenchmark pair sampling, the shuffles and the exploration draws (same seed, same result)', integerArgument(0, 2 ** 32 - 1), 1)
      .option('--json', 'print the stored calibration as JSON'),
  ).action(async (options: CalibrateOptions, command: Command) => {
    checkOptions(options);
    await runCalibrate(options, calibrationClient(options, command, connect));
  });
}
