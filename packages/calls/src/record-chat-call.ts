import type { RunDelta } from '@gantry/db';
import { estimateUsage } from '@gantry/policy';
import type { Target } from '@gantry/router';
import { buildCallRows, type CalledTool } from '@gantry/runs';
import { storeChatRequest, storeChatResult, type ChatRequest, type ChatResult, type GatewayError } from '@gantry/spec';
import { callCost } from './call-cost.ts';
import { callRecordOf, type CallState } from './call-state.ts';
import { settleCall } from './reserve-call.ts';

/** How a chat call ended, as far as its span and its settlement care. */
export interface ChatOutcome {
  target?: Target;
  /** The answer as the provider (or the answering middleware) gave it. */
  result?: ChatResult;
  /** The middleware that answered without reaching the router. */
  answeredBy?: string;
  error?: GatewayError;
  /** Unix milliseconds of the first content event of a stream. */
  firstTokenAt?: number;
  /** The provider exchange. */
  raw?: unknown;
  /** When the call ended, if it is recorded later than that. */
  endedAt?: number;
}

function toolCallsOf(result: ChatResult | undefined): CalledTool[] {
  const toolCalls: CalledTool[] = [];
  for (const choice of result?.choices ?? []) {
    for (const part of choice.content) if (part.type === 'tool-call') toolCalls.push({ id: part.id, name: part.name, arguments: part.arguments });
  }
  return toolCalls;
}

/**
 * Settles a chat call's reservation and hands its rows to the recorder. `request` is the request as
 * it was sent (after middleware).
 */
export function recordChatCall(call: CallState, request: ChatRequest, outcome: ChatOutcome): void {
  const { services } = call;
  const result = outcome.result;
  const answered = outcome.answeredBy !== undefined;
  // An answer without the provider's usage (a cut stream, a server ignoring include_usage) is
  // settled at what Gantry counts of it, not released: the provider bills what it generated. An
  // answer no provider gave (a middleware's) used no provider tokens: it costs what the middleware
  // charged for it (a cache hit's `hit_charge`), else nothing; the answer's own usage stays in the
  // span's result.
  const usage = result === undefined || answered ? undefined : (result.usage ?? estimateUsage(request, result));
  const charge = answered ? call.answerCharge : undefined;
  const toolCalls = toolCallsOf(result);
  const costMicros = answered ? (charge?.chargeMicros ?? 0) : callCost(services.prices, outcome.target, usage);
  const endedAt = outcome.endedAt ?? Date.now();
  const counter = settleCall(call.reservation, costMicros, usage, charge);
  let totals: RunDelta | undefined;
  try {
    const record = callRecordOf(call, { endedAt, error: outcome.error, request: storeChatRequest(request), costMicros, stream: request.stream });
    record.toolCalls = toolCalls;
    if (outcome.target !== undefined) record.provider = outcome.target.provider.name;
    if (result !== undefined) {
      record.result = storeChatResult(result);
      record.upstreamModel = result.model;
    }
    if (usage !== undefined) record.usage = usage;
    if (usage !== undefined && result?.usage === undefined) record.usageEstimated = true;
    if (answered) record.answeredBy = outcome.answeredBy;
    if (outcome.firstTokenAt !== undefined) record.firstTokenAt = outcome.firstTokenAt;
    if (outcome.raw !== undefined && services.calls.storeRaw) record.raw = outcome.raw;
    const rows = buildCallRows(record);
    // A run the caller started gets this call's totals in its row, which the caller writes.
    if (call.startsRun) {
      totals = rows.delta;
      delete rows.delta;
    }
    services.recorder.record(rows);
    if (!call.run.implicit) services.runs.noteToolCallsOpened(call.run.id, toolCalls.map((tool) => tool.id));
  } finally {
    // Told even if the rows could not be built: the caller may be waiting for the settlement.
    const startedRun = call.startsRun ? { counter, totals } : undefined;
    call.onRecorded?.({ spanId: call.spanId, costMicros, usage, startedAt: call.startedAt, endedAt, firstTokenAt: outcome.firstTokenAt, error: outcome.error, ...(startedRun === undefined ? {} : { startedRun }) });
  }
}

/** `recordChatCall`, off the response's path; a failure there is reported, never thrown into the event loop. */
export function recordChatCallLater(call: CallState, request: ChatRequest, outcome: ChatOutcome): void {
  try {
    recordChatCall(call, request, outcome);
  } catch (error) {
    call.services.calls.onRecordError?.(error, call.spanId);
  }
}
