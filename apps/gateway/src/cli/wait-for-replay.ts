import { setTimeout as delay } from 'node:timers/promises';
import { CliError, type GatewayClient } from './admin-client.ts';
import { parseReplayView, type ReplayView } from './replay-view.ts';

/** Why waiting for a replay stopped. */
export type WaitEnd =
  /** The replay is no longer running (succeeded, failed or cancelled). */
  | 'ended'
  /** The deadline came first. */
  | 'timed-out'
  /** The signal was aborted (Ctrl-C, SIGTERM from CI). */
  | 'interrupted'
  /** The gateway stopped answering (unreachable or HTTP 5xx) several times in a row. */
  | 'lost-contact';

export interface WaitResult {
  end: WaitEnd;
  /** The last view polled; undefined when no poll answered. */
  view: ReplayView | undefined;
  /** The last failure, when the end is `lost-contact`. */
  error?: CliError;
}

export interface WaitOptions {
  /** Between polls, in milliseconds (default 500). */
  intervalMs?: number;
  /** Epoch milliseconds after which waiting stops. */
  deadline?: number;
  /** Aborting it stops the wait (`interrupted`). */
  signal?: AbortSignal;
  /** Called with each view polled. */
  onView?: (view: ReplayView) => void;
  /** Failed polls in a row (gateway unreachable or 5xx) tolerated before giving up (default 5). */
  maxPollFailures?: number;
  now?: () => number;
  /** Waits `ms`, or less when `signal` aborts first. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Waits `ms`, returning early (not throwing) when the signal aborts. */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal === undefined ? {} : { signal }).catch(() => undefined);
}

/** A failure a later poll may not have: the gateway unreachable, or failing with a 5xx. */
export function isTransient(error: unknown): error is CliError {
  return error instanceof CliError && (error.unreachable || (error.status !== undefined && error.status >= 500));
}

/** The signal of one poll: aborted by the caller's signal or at the deadline. */
function pollSignal(signal: AbortSignal | undefined, deadline: number | undefined, now: number): AbortSignal | undefined {
  const signals = [...(signal === undefined ? [] : [signal]), ...(deadline === undefined ? [] : [AbortSignal.timeout(Math.max(1, deadline - now))])];
  return signals.length === 0 ? undefined : AbortSignal.any(signals);
}

/**
 * Polls `GET /v1/replays/:id` until the replay is no longer running, the deadline passes, the
 * signal aborts, or the gateway fails `maxPollFailures` polls in a row (backing off 0.5, 1, 2 … s
 * between them, so a gateway restart does not fail a CI gate). A 4xx (the replay gone, the key
 * revoked) is not waited out: it is thrown.
 */
export async function waitForReplay(client: GatewayClient, replayId: string, options: WaitOptions = {}): Promise<WaitResult> {
  const { intervalMs = 500, deadline, signal, onView, maxPollFailures = 5, now = Date.now, sleep = abortableSleep } = options;
  const path = `/v1/replays/${encodeURIComponent(replayId)}`;
  let view: ReplayView | undefined;
  let failures = 0;
  const stopped = (): WaitEnd | undefined => (signal?.aborted === true ? 'interrupted' : deadline !== undefined && now() >= deadline ? 'timed-out' : undefined);
  for (;;) {
    const before = stopped();
    if (before !== undefined) return { end: before, view };
    try {
      view = parseReplayView(await client.call('GET', path, undefined, pollSignal(signal, deadline, now())));
      failures = 0;
      onView?.(view);
      if (view.status !== 'running') return { end: 'ended', view };
    } catch (error) {
      const after = stopped();
      if (after !== undefined) return { end: after, view };
      if (!isTransient(error)) throw error;
      failures += 1;
      if (failures >= maxPollFailures) return { end: 'lost-contact', view, error };
    }
    const pause = failures === 0 ? intervalMs : intervalMs * 2 ** (failures - 1);
    await sleep(deadline === undefined ? pause : Math.max(0, Math.min(pause, deadline - now())), signal);
  }
}

/** Cancels a replay and returns its view then; a failure is returned, not thrown, as the caller reports with what it has. */
export async function cancelReplay(client: GatewayClient, replayId: string): Promise<{ view?: ReplayView; error?: CliError }> {
  try {
    return { view: parseReplayView(await client.call('POST', `/v1/replays/${encodeURIComponent(replayId)}/cancel`)) };
  } catch (error) {
    if (error instanceof CliError) return { error };
    throw error;
  }
}
