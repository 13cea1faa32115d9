import { createHash } from 'node:crypto';

/** What a replayed item's run is labelled with in Gantry. */
export interface ReplayRunLabels {
  /** The suite (promptfoo config) the eval runs. */
  suite: string;
  dataset: string;
  candidate: string;
  /** One eval's id, so two evals of the same item record two runs. */
  session: string;
}

/** Gantry's run ids: 1-128 letters, digits and `-_.:`. */
const RUN_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * The run an item's replayed steps are recorded in: `promptfoo-<session>-<source run id>`, or a
 * hash of the source run id when that would not make a valid run id.
 */
export function replayRunId(session: string, sourceRunId: string): string {
  const plain = `promptfoo-${session}-${sourceRunId}`;
  if (RUN_ID.test(plain)) return plain;
  return `promptfoo-${session}-${createHash('sha256').update(sourceRunId).digest('hex').slice(0, 32)}`;
}

/**
 * The headers of one replayed step: every step of an item goes to the item's run (its metadata
 * names the suite, dataset, source run and candidate — set by the run's first call), and each
 * step's `llm` span is named after the recorded span it replays.
 */
export function replayHeaders(labels: ReplayRunLabels, sourceRunId: string, sourceSpanId: string): Record<string, string> {
  const metadata = { suite: labels.suite, dataset: labels.dataset, source_run_id: sourceRunId, candidate: labels.candidate, promptfoo_session: labels.session };
  return {
    'x-gantry-run-id': replayRunId(labels.session, sourceRunId),
    'x-gantry-run-name': printable(`promptfoo ${labels.suite}`).slice(0, 200),
    // Escaped to ASCII: header values are bytes, and the JSON stays the same JSON.
    'x-gantry-metadata': JSON.stringify(metadata).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`),
    'x-gantry-span-name': printable(`replay of ${sourceSpanId}`),
  };
}

/** Text fit for a header value: characters outside printable ASCII become `?`. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
