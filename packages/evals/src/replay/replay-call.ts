import { callChat, callEmbeddings, traceOf, type CallServices, type ChatCallInput, type RecordedCall } from '@gantry/calls';
import { ChatResultBuilder } from '@gantry/formats';
import { toGatewayError, type ChatResult } from '@gantry/spec';
import type { ReplayEmbedder } from './answer-judges.ts';

/** One replayed call as the replay sees it: the candidate's answer, or why there is none. */
export interface ReplayedCall {
  /** The replayed call's `llm` span; null when it was refused before it began (budget, rate limit). */
  spanId: string | null;
  result: ChatResult | null;
  error: { code: string; message: string; status?: number } | null;
  /** Micro-dollars, 0 when unpriced or refused. */
  costMicros: number;
  latencyMs: number;
  ttftMs: number | null;
}

/** What a replayed call is sent as: a live call's input without the settlement hook. */
export type ReplayCallInput = Omit<ChatCallInput, 'onRecorded'>;

/** Sends one call through the same pipeline as live traffic (`callChat`): budgeted, routed, recorded. */
export type ReplayCaller = (input: ReplayCallInput, signal: AbortSignal) => Promise<ReplayedCall>;

function errorOf(error: unknown): NonNullable<ReplayedCall['error']> {
  const failure = toGatewayError(error);
  return { code: failure.code, message: failure.message, ...(failure.status === undefined ? {} : { status: failure.status }) };
}

function fromRecorded(recorded: RecordedCall, result: ChatResult | null): ReplayedCall {
  return {
    spanId: recorded.spanId,
    result: recorded.error === undefined ? result : null,
    error: recorded.error === undefined ? null : errorOf(recorded.error),
    costMicros: recorded.costMicros ?? 0,
    latencyMs: Math.max(0, recorded.endedAt - recorded.startedAt),
    ttftMs: recorded.firstTokenAt === undefined ? null : Math.max(0, recorded.firstTokenAt - recorded.startedAt),
  };
}

/**
 * The replay's caller on `services`: a streamed call is read to its end (its time to first token
 * measured as a client's would be), and the answer is returned once the call's span and ledger
 * entry are written, with the cost it was settled at.
 */
export function pipelineCaller(services: CallServices): ReplayCaller {
  return (input, replaySignal) => withOwnSignal(replaySignal, (signal) => callOnce(services, input, signal));
}

/**
 * Runs `work` with a signal of its own that follows the replay's: the pipeline listens on a
 * call's signal, and the replay's outlives thousands of calls (a listener each would pile up).
 */
async function withOwnSignal<T>(replaySignal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abort = () => controller.abort(replaySignal.reason);
  if (replaySignal.aborted) abort();
  else replaySignal.addEventListener('abort', abort, { once: true });
  try {
    return await work(controller.signal);
  } finally {
    replaySignal.removeEventListener('abort', abort);
  }
}

/** Embeddings through the same pipeline (for the similarity rung): one float vector per text. */
export function pipelineEmbedder(services: CallServices): ReplayEmbedder {
  return (input, replaySignal) =>
    withOwnSignal(replaySignal, async (signal) => {
      const { result } = await callEmbeddings(services, { request: { model: input.model, input: input.texts }, caller: input.caller, headers: input.headers }, signal);
      return result.embeddings.map((vector) => (typeof vector === 'string' ? [] : vector));
    });
}

/** One call through `callChat`, read to its end and settled. */
async function callOnce(services: CallServices, input: ReplayCallInput, signal: AbortSignal): Promise<ReplayedCall> {
  let recorded: ((value: RecordedCall) => void) | undefined;
  const settled = new Promise<RecordedCall>((resolve) => (recorded = resolve));
  let result: ChatResult | null = null;
  try {
    const outcome = await callChat(services, { ...input, onRecorded: (value) => recorded?.(value) }, signal);
    if (outcome.type === 'result') {
      result = outcome.result;
    } else {
      const builder = new ChatResultBuilder();
      for await (const event of outcome.events) builder.push(event);
      result = builder.result();
    }
  } catch (error) {
    // Refused before the call began: nothing was recorded, nothing spent.
    if (traceOf(error) === undefined) return { spanId: null, result: null, error: errorOf(error), costMicros: 0, latencyMs: 0, ttftMs: null };
  }
  const call = fromRecorded(await settled, result);
  // The step is stored as scored only once its span and ledger entry are in the database: a
  // resumed replay skips scored steps, so one whose recording died with its process would be
  // missing from the run's totals and the ledger for good.
  await services.recorder.flush();
  await services.budgets.drain();
  return call;
}
