import { countEmbeddingTokens, countPromptTokens, readCustomerHeader, readRunLimitHeaders, type Reservation } from '@gantry/policy';
import type { Target } from '@gantry/router';
import type { ActiveRun, RunCaller } from '@gantry/runs';
import type { StartedRunCounter } from '@gantry/db';
import type { AnswerCharge, ChatRequest, EmbeddingRequest, Usage } from '@gantry/spec';
import { worstCaseMicros } from './call-cost.ts';
import type { CallHeaders, CallServices } from './call-services.ts';

/** Who a call is charged to and what it may reach. */
export interface CallSubject {
  caller: RunCaller;
  headers: CallHeaders;
  run: ActiveRun;
  runName: string | undefined;
  targets: readonly Target[];
  spanId: string;
  /** The caller started the run for this call (`CallInput.startsRun`). */
  startsRun: boolean;
}

async function reserve(services: CallServices, subject: CallSubject, model: string, user: string | undefined, countInput: () => number, outputTokens: number): Promise<Reservation> {
  const { budgets } = services;
  budgets.checkModel(subject.caller.apiKeyId, model);
  const customer = readCustomerHeader(subject.headers, user);
  const lowerRun = readRunLimitHeaders(subject.headers);
  return budgets.reserve(
    {
      keyId: subject.caller.apiKeyId,
      teamId: subject.caller.teamId,
      customer,
      run: { id: subject.run.id, rootRunId: subject.run.rootRunId, depth: subject.run.depth, implicit: subject.run.implicit, starts: subject.startsRun, name: subject.runName },
      model,
      ...(lowerRun === undefined ? {} : { lowerRun }),
    },
    subject.spanId,
    // Counted only when some limit applies.
    () => {
      const inputTokens = countInput();
      return { costMicros: worstCaseMicros(services.prices, subject.targets, inputTokens, outputTokens), tokens: inputTokens + outputTokens };
    },
  );
}

/**
 * Reserves a chat call's worst case: its prompt tokens (counted) × input price plus
 * `max_tokens` (or `defaultMaxOutputTokens`) × output price, per choice.
 */
export function reserveChatCall(services: CallServices, chat: ChatRequest, subject: CallSubject): Promise<Reservation> {
  const output = (chat.maxOutputTokens ?? services.calls.defaultMaxOutputTokens) * Math.max(1, chat.n ?? 1);
  return reserve(services, subject, chat.model, chat.user, () => countPromptTokens(chat), output);
}

/** Reserves an embedding call's cost: its input tokens × input price. */
export function reserveEmbeddingCall(services: CallServices, embedding: EmbeddingRequest, subject: CallSubject): Promise<Reservation> {
  return reserve(services, subject, embedding.model, embedding.user, () => countEmbeddingTokens(embedding), 0);
}

/**
 * After the call: settle at the cost of what was used — the provider's usage, or Gantry's count of
 * an answer that came without it — and release when nothing was used (no answer, or a middleware
 * answered without a provider and without pricing it). A middleware's answer it priced (`charge`,
 * a cache hit) settles at its charge with no tokens — its tokens were not a provider's — and the
 * ledger entry keeps what it saved.
 */
export function settleCall(reservation: Reservation, costMicros: number | undefined, usage: Usage | undefined, charge?: AnswerCharge): StartedRunCounter | undefined {
  let micros = 0;
  let tokens = 0;
  if (charge !== undefined) reservation.settle((micros = charge.chargeMicros), 0, charge.savedMicros);
  else if (usage === undefined) reservation.release();
  else reservation.settle((micros = costMicros ?? 0), (tokens = usage.inputTokens + usage.outputTokens));
  // A started run's counter counts the call as a reservation would have: released calls too.
  const started = reservation.startedRun;
  return started === undefined ? undefined : { ...started, spentMicros: micros, calls: 1, tokens };
}
