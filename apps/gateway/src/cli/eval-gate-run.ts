import { CliError, type GatewayClient } from './admin-client.ts';
import { replayRunFields } from './eval-cli-options.ts';
import { thresholdsOf, type GateIo, type GateOptions } from './eval-gate-command.ts';
import type { GateExitCode } from './gate-exit.ts';
import { buildGateOutcome, emptyView, type GateSettings } from './gate-outcome.ts';
import { ProgressReporter } from './gate-progress.ts';
import { renderGateOutcome } from './gate-report-output.ts';
import { parseReplaySummary, type ReplaySummary, type ReplayView } from './replay-view.ts';
import { cancelReplay, waitForReplay, type WaitResult } from './wait-for-replay.ts';

/** Why the CLI stopped before the replay ended, for the report; undefined when it ended on its own. */
async function stopReplayIfWaiting(client: GatewayClient, replay: ReplaySummary, waited: WaitResult, timeout: number | undefined): Promise<{ view: ReplayView | undefined; stop?: string }> {
  if (waited.end === 'ended') return { view: waited.view };
  if (waited.end === 'lost-contact') {
    return { view: waited.view, stop: `lost contact with the gateway (${waited.error?.message ?? 'no answer'}); the replay may still be running: gantry replay show ${replay.id}` };
  }
  const cancelled = await cancelReplay(client, replay.id);
  const why = waited.end === 'timed-out' ? `--timeout ${timeout}s reached` : 'interrupted';
  const what = cancelled.error === undefined ? `the replay ${replay.id} was cancelled` : `cancelling the replay ${replay.id} failed (${cancelled.error.message})`;
  return { view: cancelled.view ?? waited.view, stop: `${why}; ${what}` };
}

/**
 * Runs the gate: starts a replay of the dataset against the candidate (and the baseline model,
 * when the baseline is one), waits for it showing progress on stderr, scores it and writes the
 * report. Returns the exit code: 0 pass, 1 regression, 3 incomplete; throws on usage errors.
 */
export async function runGate(client: GatewayClient, options: GateOptions, io: GateIo): Promise<GateExitCode> {
  const now = io.now ?? Date.now;
  const startedAt = now();
  const candidates = options.baseline === 'recorded' ? [options.candidate] : [options.candidate, options.baseline];
  const body = { dataset: options.dataset, candidates, ...replayRunFields(options) };
  const replay = parseReplaySummary(await client.call('POST', '/v1/replays', body));
  io.stderr.write(`gantry eval gate: replay ${replay.id} of dataset ${replay.dataset.name ?? options.dataset} started (${candidates.join(' vs ')}, mode ${replay.mode})\n`);

  const interrupt = new AbortController();
  const release = io.onInterrupt(() => interrupt.abort());
  const progress = new ProgressReporter(io.stderr, startedAt, now);
  let settled: { view: ReplayView | undefined; stop?: string };
  try {
    const waited = await waitForReplay(client, replay.id, {
      ...(options.timeout === undefined ? {} : { deadline: startedAt + options.timeout * 1000 }),
      signal: interrupt.signal,
      onView: (view) => progress.update(view),
      now,
      ...(io.sleep === undefined ? {} : { sleep: io.sleep }),
    });
    settled = await stopReplayIfWaiting(client, replay, waited, options.timeout);
  } catch (error) {
    progress.finish(undefined);
    throw error;
  } finally {
    release();
  }
  progress.finish(settled.view);

  const settings: GateSettings = { dataset: options.dataset, candidate: options.candidate, baseline: options.baseline, thresholds: thresholdsOf(options) };
  const outcome = buildGateOutcome(settled.view ?? emptyView(replay), settings, settled.stop, new Date(now()));
  // The text report always reaches the CI log; --out also gets the chosen format.
  io.stdout.write(renderGateOutcome(outcome, options.out === undefined ? options.format : 'text'));
  if (options.out !== undefined) {
    await io.writeFile(options.out, renderGateOutcome(outcome, options.format)).catch((error: unknown) => {
      throw new CliError(`cannot write the report to ${options.out}: ${(error as Error).message}`);
    });
    io.stderr.write(`gantry eval gate: ${options.format} report written to ${options.out}\n`);
  }
  return outcome.exitCode;
}
