import type { Command } from 'commander';
import { CliError, type ConnectGateway, type GatewayClient } from './admin-client.ts';
import { addApiKeyOption, addReplayRunOptions, clientFor, collect, integerArgument, replayRunFields, type ReplayRunOptions } from './eval-cli-options.ts';
import { formatTable } from './format-table.ts';
import { ProgressReporter } from './gate-progress.ts';
import { renderDiff, renderReplay } from './render-replay.ts';
import type { ReplaySummary } from './replay-view.ts';

// The API's answers are checked with zod, loaded only when a replay command runs: the CLI starts fast for every other command.
const views = () => import('./replay-view.ts');

/** `gantry replay start`'s options as commander parses them. */
export interface ReplayStartOptions extends ReplayRunOptions {
  dataset: string;
  candidate: string[];
  wait?: boolean;
}

/** The `POST /v1/replays` body of `gantry replay start`'s options. */
export function replayStartBody(options: ReplayStartOptions): Record<string, unknown> {
  return { dataset: options.dataset, candidates: options.candidate, ...replayRunFields(options) };
}

const replayPath = (id: string): string => `/v1/replays/${encodeURIComponent(id)}`;

/** Waits for a replay with progress on stderr, prints it, and fails (exit 1) when it did not succeed. */
async function waitAndShow(client: GatewayClient, replay: ReplaySummary): Promise<void> {
  const progress = new ProgressReporter(process.stderr, Date.now());
  const { waitForReplay } = await import('./wait-for-replay.ts');
  const waited = await waitForReplay(client, replay.id, { onView: (view) => progress.update(view) });
  progress.finish(waited.view);
  if (waited.view !== undefined) console.log(renderReplay(waited.view));
  if (waited.end === 'lost-contact') throw new CliError(`lost contact with the gateway (${waited.error?.message ?? 'no answer'}); the replay may still be running: gantry replay show ${replay.id}`);
  if (waited.view !== undefined && waited.view.status !== 'succeeded') throw new CliError(`replay ${replay.id} ${waited.view.status}${waited.view.error === null ? '' : `: ${waited.view.error}`}`);
}

/**
 * `gantry replay start|list|show|diff|cancel`: replays of a dataset against candidate models,
 * run by the gateway (budgeted against the key that starts them), their progress and results,
 * and one item recorded against replayed, step by step.
 */
export function addReplayCommands(program: Command, connect: ConnectGateway): void {
  const replays = program.command('replay').description('replays: a dataset replayed against candidate models, scored against the recorded runs');

  const start = replays
    .command('start')
    .description('start replaying a dataset against one or more candidates; prints the replay id (with --wait, its results)')
    .requiredOption('--dataset <name>', 'the dataset to replay (name or id)')
    .requiredOption('--candidate <model>', 'a model or alias to replay against; repeat for several (up to 8)', collect);
  addApiKeyOption(addReplayRunOptions(start).option('--wait', 'wait until the replay ends, showing progress; exit 1 when it failed or was cancelled')).action(
    async (options: ReplayStartOptions, command: Command) => {
      const client = clientFor(command, connect);
      const replay = (await views()).parseReplaySummary(await client.call('POST', '/v1/replays', replayStartBody(options)));
      console.log(`Started replay ${replay.id} of dataset ${replay.dataset.name ?? replay.dataset.id} against ${replay.candidates.join(', ')} (mode ${replay.mode}).`);
      if (options.wait === true) return waitAndShow(client, replay);
      console.log(`Follow it with: gantry replay show ${replay.id}`);
    },
  );

  addApiKeyOption(replays.command('list').description('the latest 100 replays this key can see')).action(async (_options: object, command: Command) => {
    const { data } = (await clientFor(command, connect).call('GET', '/v1/replays')) as { data: unknown[] };
    const { parseReplaySummary } = await views();
    const rows = data.map(parseReplaySummary).map((replay) => ({
      id: replay.id,
      dataset: replay.dataset.name ?? replay.dataset.id,
      mode: replay.mode,
      candidates: replay.candidates.join(', '),
      status: replay.status,
      created: replay.created_at,
    }));
    console.log(formatTable(rows));
  });

  addApiKeyOption(
    replays.command('show <id>').description('a replay: status, progress, per-candidate totals and the failing steps').option('--json', 'print the API response as JSON'),
  ).action(async (id: string, options: { json?: boolean }, command: Command) => {
    const json = await clientFor(command, connect).call('GET', replayPath(id));
    console.log(options.json === true ? JSON.stringify(json, null, 2) : renderReplay((await views()).parseReplayView(json)));
  });

  addApiKeyOption(
    replays
      .command('diff <id> <item>')
      .description('one item of a replay, step by step: the recorded answer, the candidate answer, what differed (item: its position, as `replay show` lists it)')
      .option('--candidate <index>', "which candidate, by its index in the replay's candidates (0 = the first)", integerArgument(0), 0)
      .option('--json', 'print the API response as JSON'),
  ).action(async (id: string, item: string, options: { candidate: number; json?: boolean }, command: Command) => {
    const json = await clientFor(command, connect).call('GET', `${replayPath(id)}/diff/${encodeURIComponent(item)}?candidate=${options.candidate}`);
    console.log(options.json === true ? JSON.stringify(json, null, 2) : renderDiff((await views()).parseReplayDiff(json)));
  });

  addApiKeyOption(replays.command('cancel <id>').description('cancel a running replay; what it scored so far stays')).action(async (id: string, _options: object, command: Command) => {
    const view = (await views()).parseReplayView(await clientFor(command, connect).call('POST', `${replayPath(id)}/cancel`));
    const ended = `${view.progress.items_done}/${view.progress.items_total} items had ended`;
    // Only a running replay is cancelled; an ended one keeps its status.
    console.log(view.status === 'cancelled' ? `Cancelled replay ${view.id}: ${ended}.` : `Replay ${view.id} had already ${view.status} (${ended}); nothing to cancel.`);
  });
}
