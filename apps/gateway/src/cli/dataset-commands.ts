import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { CliError, type ConnectGateway } from './admin-client.ts';
import { addApiKeyOption, clientFor, integerArgument, numberArgument } from './eval-cli-options.ts';
import { formatTable, formatUsd } from './format-table.ts';
import { sinceToIso } from './runs-commands.ts';

/** A dataset as `/v1/datasets` shows it. */
interface DatasetView {
  id: string;
  name: string;
  description: string | null;
  item_count: number;
  selection: Record<string, unknown>;
  created_at: string;
}

/** One item's outline, as `GET /v1/datasets/:ref` lists it. */
interface DatasetItemView {
  position: number;
  source_run_id: string;
  name: string | null;
  runs: number;
  steps: number;
  tool_calls: number;
  cost_micros: number;
}

/** `gantry dataset create`'s options as commander parses them. */
export interface DatasetCreateOptions {
  name: string;
  description?: string;
  runName?: string;
  status?: string;
  key?: string;
  team?: string;
  since?: string;
  until?: string;
  runIds?: string;
  minCostUsd?: number;
  maxCostUsd?: number;
  sample?: number;
  seed?: number;
}

const micros = (usd: number): number => Math.round(usd * 1_000_000);

/** The `POST /v1/datasets` body of `gantry dataset create`'s options; `now` anchors `--since 30d`. */
export function datasetCreateBody(options: DatasetCreateOptions, now = Date.now()): Record<string, unknown> {
  if (options.seed !== undefined && options.sample === undefined) throw new CliError('--seed only applies with --sample: give --sample <n> too');
  const ids = options.runIds
    ?.split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  const runs = {
    ...(options.runName === undefined ? {} : { name: options.runName }),
    ...(options.status === undefined ? {} : { status: options.status }),
    ...(options.key === undefined ? {} : { key: options.key }),
    ...(options.team === undefined ? {} : { team: options.team }),
    ...(options.since === undefined ? {} : { from: sinceToIso(options.since, now) }),
    ...(options.until === undefined ? {} : { to: sinceToIso(options.until, now) }),
    ...(ids === undefined ? {} : { ids }),
    ...(options.minCostUsd === undefined ? {} : { min_cost_micros: micros(options.minCostUsd) }),
    ...(options.maxCostUsd === undefined ? {} : { max_cost_micros: micros(options.maxCostUsd) }),
  };
  return {
    name: options.name,
    ...(options.description === undefined ? {} : { description: options.description }),
    runs,
    ...(options.sample === undefined ? {} : { sample: options.sample, seed: options.seed ?? 0 }),
  };
}

const datasetPath = (name: string): string => `/v1/datasets/${encodeURIComponent(name)}`;

/** The dataset's header lines: id, name, description, items, created, how it was selected. */
function describeDataset(dataset: DatasetView): string {
  return [
    `dataset ${dataset.name} (${dataset.id}), ${dataset.item_count} items, created ${dataset.created_at}`,
    ...(dataset.description === null || dataset.description === '' ? [] : [dataset.description]),
    `selection: ${JSON.stringify(dataset.selection)}`,
  ].join('\n');
}

function itemRows(items: DatasetItemView[]): Record<string, string>[] {
  return items.map((item) => ({
    position: String(item.position),
    source_run: item.source_run_id,
    name: item.name ?? '-',
    runs: String(item.runs),
    steps: String(item.steps),
    tool_calls: String(item.tool_calls),
    cost: formatUsd(item.cost_micros / 1_000_000),
  }));
}

/** The export's lines counted as they stream through: how many items were written. */
async function* countingLines(source: AsyncIterable<Uint8Array>, count: { lines: number }): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    for (const byte of chunk) if (byte === 0x0a) count.lines += 1;
    yield chunk;
  }
}

/**
 * `gantry dataset create|list|show|export|import|delete`: datasets of recorded runs for replays.
 * Export and import are JSON Lines (one item snapshot per line), so a dataset can live in git.
 */
export function addDatasetCommands(program: Command, connect: ConnectGateway): void {
  const datasets = program.command('dataset').description('datasets: recorded agent runs snapshotted for replays and the eval gate');

  addApiKeyOption(
    datasets
      .command('create')
      .description('snapshot the recorded root runs that match every condition given into a new dataset')
      .requiredOption('--name <name>', 'the dataset name (unique per team)')
      .option('--description <text>', 'what the dataset is for')
      .option('--run-name <name>', 'runs of this name (x-gantry-run-name)')
      .option('--status <status>', 'runs of this status: running, succeeded, failed or timed_out')
      .option('--key <id>', 'runs of this virtual key')
      .option('--team <id>', 'runs of this team')
      .option('--since <when>', 'started at or after: a span back from now (30d, 12h, 15m) or an ISO date')
      .option('--until <when>', 'started before: a span back from now or an ISO date')
      .option('--run-ids <ids>', 'these runs only (comma-separated run ids)')
      .option('--min-cost-usd <usd>', 'runs that cost at least this (USD)', numberArgument(0))
      .option('--max-cost-usd <usd>', 'runs that cost at most this (USD)', numberArgument(0))
      .option('--sample <n>', 'keep only this many of the matching runs, chosen by --seed', integerArgument(1, 5_000))
      .option('--seed <n>', 'seed of the --sample choice (same seed, same runs)', integerArgument(0, 2 ** 32 - 1)),
  ).action(async (options: DatasetCreateOptions, command: Command) => {
    const created = (await clientFor(command, connect).call('POST', '/v1/datasets', datasetCreateBody(options))) as DatasetView;
    console.log(`Created dataset ${created.name} (${created.id}) with ${created.item_count} items.`);
  });

  addApiKeyOption(datasets.command('list').description('list the datasets this key can see')).action(async (_options: object, command: Command) => {
    const { data } = (await clientFor(command, connect).call('GET', '/v1/datasets')) as { data: DatasetView[] };
    console.log(
      formatTable(data.map((dataset) => ({ id: dataset.id, name: dataset.name, items: String(dataset.item_count), created: dataset.created_at, description: dataset.description ?? '' }))),
    );
  });

  addApiKeyOption(datasets.command('show <name>').description('a dataset and its items: source run, steps, tool calls, recorded cost').option('--json', 'print the API response as JSON')).action(
    async (name: string, options: { json?: boolean }, command: Command) => {
      const dataset = (await clientFor(command, connect).call('GET', datasetPath(name))) as DatasetView & { items: DatasetItemView[] };
      if (options.json === true) return console.log(JSON.stringify(dataset, null, 2));
      console.log(`${describeDataset(dataset)}\n\n${formatTable(itemRows(dataset.items))}`);
    },
  );

  addApiKeyOption(
    datasets
      .command('export <name>')
      .description('write a dataset as JSON Lines, one item snapshot per line (to stdout, or to --out)')
      .option('--out <file>', 'write to this file instead of stdout'),
  ).action(async (name: string, options: { out?: string }, command: Command) => {
    const body = await clientFor(command, connect).download(`${datasetPath(name)}/export`);
    const count = { lines: 0 };
    const source = countingLines(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), count);
    if (options.out === undefined) {
      await pipeline(source, process.stdout, { end: false });
      return;
    }
    await pipeline(source, createWriteStream(options.out)).catch((error: unknown) => {
      throw new CliError(`cannot write ${options.out}: ${(error as Error).message}`);
    });
    console.error(`Exported ${count.lines} items of dataset ${name} to ${options.out}.`);
  });

  addApiKeyOption(
    datasets
      .command('import <file>')
      .description('create a dataset from a JSON Lines file, as `gantry dataset export` writes them')
      .requiredOption('--name <name>', 'the new dataset name (unique per team)')
      .option('--description <text>', 'what the dataset is for'),
  ).action(async (file: string, options: { name: string; description?: string }, command: Command) => {
    const text = await readFile(file, 'utf8').catch((error: unknown) => {
      throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
    });
    const query = new URLSearchParams({ name: options.name, ...(options.description === undefined ? {} : { description: options.description }) });
    const created = (await clientFor(command, connect).sendText('POST', `/v1/datasets/import?${query}`, text, 'application/x-ndjson')) as DatasetView;
    console.log(`Imported dataset ${created.name} (${created.id}) with ${created.item_count} items.`);
  });

  addApiKeyOption(datasets.command('delete <name>').description('delete a dataset and its item snapshots')).action(
    async (name: string, _options: object, command: Command) => {
      const deleted = (await clientFor(command, connect).call('DELETE', datasetPath(name))) as { id: string; name: string };
      console.log(`Deleted dataset ${deleted.name} (${deleted.id}).`);
    },
  );
}
