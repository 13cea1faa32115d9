import { embeddingJudge, exactJudge, llmJudge, type AnswerJudge, type LocalEmbedder } from '@gantry/cache';
import { callChat, callEmbeddings, type CallServices } from '@gantry/calls';
import { CALIBRATION_SPAN_PREFIX } from '@gantry/db';
import type { RunCaller } from '@gantry/runs';
import { UnavailableError, type ChatRequest, type ChatResult } from '@gantry/spec';
import { LOCAL_EMBEDDING_MODEL } from '../config/cache-config.ts';

/**
 * The calls `gantry cache calibrate --traffic` has the gateway make for it, all as the caller:
 * embeddings of prompts and answers, the judge model's verdicts and the replays go through the
 * same pipeline as any call of the key (authorised, budgeted, recorded, billed), under span names
 * that keep them out of the traffic a later calibration reads. `local` embeds on the gateway's
 * worker thread instead: no provider, so nothing to record or bill.
 */

/** Embeds texts: one vector per text, in order. */
export type TrafficEmbed = (texts: string[], signal: AbortSignal) => Promise<number[][]>;

/** Headers of the calibration's own calls: the cache off (a judge must not judge itself), and the calibration's span name. */
function calibrationHeaders(role: 'embedding' | 'judge' | 'replay'): Record<string, string> {
  return { 'x-gantry-cache': 'off', 'x-gantry-span-name': `${CALIBRATION_SPAN_PREFIX}-${role}`, 'x-gantry-run-name': CALIBRATION_SPAN_PREFIX };
}

/** Embeds with `model` through the pipeline as `caller`, or with the built-in model for `local`. */
export function trafficEmbedder(services: CallServices, model: string, caller: RunCaller, local: () => LocalEmbedder): TrafficEmbed {
  if (model === LOCAL_EMBEDDING_MODEL) {
    return (texts, signal) =>
      local()
        .embed(texts, signal)
        .catch((error: unknown) => {
          // Busy (its queue is bounded) or its worker failed: worth a retry later, not the request's fault.
          throw signal.aborted ? error : new UnavailableError(`the local embedder could not embed: ${(error as Error).message}`, { cause: error });
        });
  }
  return async (texts, signal) => {
    const { result } = await callEmbeddings(services, { request: { model, input: texts }, caller, headers: calibrationHeaders('embedding') }, signal);
    return result.embeddings.map((vector) => (typeof vector === 'string' ? [] : vector));
  };
}

/** Asks `request` through the pipeline as `caller`, whole, with the cache off; returns the answer. */
async function completeAs(services: CallServices, caller: RunCaller, request: ChatRequest, role: 'judge' | 'replay', signal: AbortSignal): Promise<ChatResult> {
  const outcome = await callChat(services, { request: { ...request, stream: false }, caller, headers: calibrationHeaders(role) }, signal);
  // A request with stream: false is answered whole; a stream here would be a pipeline bug.
  if (outcome.type !== 'result') throw new Error('the calibration asked for a whole answer and got a stream');
  return outcome.result;
}

/** Asks a recorded prompt again, as it was asked (the same model, messages and settings), for a fresh answer. */
export function trafficReplayer(services: CallServices, caller: RunCaller): (request: ChatRequest, signal: AbortSignal) => Promise<ChatResult> {
  return (request, signal) => completeAs(services, caller, request, 'replay', signal);
}

/** What labels a pair: `exact`, or the embedding judge with its embeddings model and threshold, or the llm judge with its chat model. */
export type TrafficJudgeChoice = { name: 'exact' } | { name: 'embedding'; model: string; threshold: number } | { name: 'llm'; model: string };

/** The judge of answer-judges.ts named by `choice`, its own calls made as `caller`. */
export function trafficJudge(services: CallServices, caller: RunCaller, choice: TrafficJudgeChoice, local: () => LocalEmbedder): AnswerJudge {
  if (choice.name === 'exact') return exactJudge;
  if (choice.name === 'embedding') {
    const embed = trafficEmbedder(services, choice.model, caller, local);
    return embeddingJudge((texts, _caller, signal) => embed(texts, signal), choice.threshold);
  }
  return llmJudge((request, _caller, signal) => completeAs(services, caller, request, 'judge', signal), choice.model);
}
