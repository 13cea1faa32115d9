import type { FastifyRequest } from 'fastify';
import { countEmbeddingTokens, countPromptTokens, readCustomerHeader, readRunLimitHeaders, type Reservation } from '@gantry/policy';
import { computeCostMicros, type PriceBook } from '@gantry/providers';
import type { Target } from '@gantry/router';
import type { ActiveRun } from '@gantry/runs';
import type { ChatRequest, EmbeddingRequest, Usage } from '@gantry/spec';
import type { GatewayServices } from '../gateway-services.ts';

interface CallSubject {
  caller: { apiKeyId: string | null; teamId: string | null };
  run: ActiveRun;
  runName: string | undefined;
  targets: readonly Target[];
  spanId: string;
}

/** The dearest of the targets a call may reach (fallback included), for its worst case. */
function worstCaseMicros(prices: PriceBook, targets: readonly Target[], inputTokens: number, outputTokens: number): number {
  let worst = 0;
  for (const target of targets) {
    const price = prices.lookup(target.provider.name, target.provider.type, target.model);
    if (price !== undefined) worst = Math.max(worst, computeCostMicros({ inputTokens, outputTokens }, price));
  }
  return worst;
}

async function reserve(services: GatewayServices, request: FastifyRequest, subject: CallSubject, model: string, user: string | undefined, countInput: () => number, outputTokens: number): Promise<Reservation> {
  const { budgets } = services;
  budgets.checkModel(subject.caller.apiKeyId, model);
  const customer = readCustomerHeader(request.headers, user);
  const lowerRun = readRunLimitHeaders(request.headers);
  return budgets.reserve(
    {
      keyId: subject.caller.apiKeyId,
      teamId: subject.caller.teamId,
      customer,
      run: { id: subject.run.id, rootRunId: subject.run.rootRunId, depth: subject.run.depth, implicit: subject.run.implicit, name: subject.runName },
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
 * `max_tokens` (or `budgets.default_max_output_tokens`) × output price, per choice.
 */
export function reserveChatCall(services: GatewayServices, request: FastifyRequest, chat: ChatRequest, subject: CallSubject): Promise<Reservation> {
  const output = (chat.maxOutputTokens ?? services.config.budgets.defaultMaxOutputTokens) * Math.max(1, chat.n ?? 1);
  return reserve(services, request, subject, chat.model, chat.user, () => countPromptTokens(chat), output);
}

/** Reserves an embedding call's cost: its input tokens × input price. */
export function reserveEmbeddingCall(services: GatewayServices, request: FastifyRequest, embedding: EmbeddingRequest, subject: CallSubject): Promise<Reservation> {
  return reserve(services, request, subject, embedding.model, embedding.user, () => countEmbeddingTokens(embedding), 0);
}

/** After the call: settle at the actual cost when the provider reported usage, else release. */
export function settleCall(reservation: Reservation, costMicros: number | undefined, usage: Usage | undefined): void {
  if (usage === undefined) reservation.release();
  else reservation.settle(costMicros ?? 0, usage.inputTokens + usage.outputTokens);
}
