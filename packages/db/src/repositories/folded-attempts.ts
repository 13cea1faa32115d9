import type { NewSpan, Span } from '../schema/spans.ts';

/**
 * Most llm calls make exactly one upstream try, and that `attempt` span repeats its llm span:
 * same run, key and provider, no usage, no payloads. Stored as a row of its own it cost about a
 * fifth of a recorded call's database work (a tuple, three index entries, its JSON), so such an
 * attempt is stored inside its llm span's row instead, under this key of the row's `attributes`:
 * only what the llm span does not already say — its id, its start, the model sent, and its end
 * when that differs. The repositories give it back as the span it was (and drop the key), so
 * readers never see the difference. An attempt that says anything more (an error, an HTTP
 * status, another provider, a second try) is stored as a row, as before.
 */
export const FOLDED_ATTEMPT_KEY = 'folded_attempt';

/** What an llm row stores of its folded attempt. */
interface FoldedAttempt {
  id: string;
  /** ISO 8601. */
  started_at: string;
  model: string;
  /** ISO 8601; only when the attempt ended before its llm span did (the llm span's end otherwise). */
  ended_at?: string;
}

function isEmptyObject(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'object') return false;
  for (const _ in value) return false;
  return true;
}

/** The attempt exactly as {@link unfoldSpan} would rebuild it from `llm` (so folding loses nothing). */
function isDerivable(llm: NewSpan, attempt: NewSpan): boolean {
  return (
    attempt.runId === llm.runId &&
    attempt.status === 'ok' &&
    attempt.error == null &&
    attempt.httpStatus == null &&
    typeof llm.provider === 'string' &&
    attempt.provider === llm.provider &&
    typeof attempt.model === 'string' &&
    attempt.name === `${attempt.provider}/${attempt.model}` &&
    (attempt.apiKeyId ?? null) === (llm.apiKeyId ?? null) &&
    attempt.endedAt instanceof Date &&
    llm.endedAt instanceof Date &&
    attempt.startedAt instanceof Date &&
    attempt.firstTokenAt == null &&
    attempt.upstreamModel == null &&
    attempt.toolCallId == null &&
    !attempt.inputTokens &&
    !attempt.outputTokens &&
    !attempt.cachedInputTokens &&
    !attempt.reasoningTokens &&
    !attempt.costMicros &&
    attempt.request == null &&
    attempt.result == null &&
    attempt.raw == null &&
    attempt.oneCallRun == null &&
    attempt.teamId == null &&
    isEmptyObject(attempt.attributes) &&
    !(llm.attributes != null && FOLDED_ATTEMPT_KEY in llm.attributes)
  );
}

/**
 * The rows to store for a batch: each llm span whose only attempt in the batch is derivable from
 * it carries that attempt, which is not stored as a row. Other spans pass through unchanged.
 */
export function foldSingleAttempts(rows: readonly NewSpan[]): readonly NewSpan[] {
  // llm span id → its one attempt in the batch, or null once it has a second.
  let attemptOf: Map<string, NewSpan | null> | undefined;
  for (const row of rows) {
    if (row.kind !== 'attempt' || row.parentSpanId == null) continue;
    attemptOf ??= new Map();
    attemptOf.set(row.parentSpanId, attemptOf.has(row.parentSpanId) ? null : row);
  }
  if (attemptOf === undefined) return rows;
  const folded = new Set<NewSpan>();
  const out: NewSpan[] = [];
  for (const row of rows) {
    const attempt = row.kind === 'llm' ? attemptOf.get(row.id) : undefined;
    if (attempt == null || !isDerivable(row, attempt)) {
      out.push(row);
      continue;
    }
    const stored: FoldedAttempt = { id: attempt.id, started_at: attempt.startedAt.toISOString(), model: attempt.model! };
    if (attempt.endedAt!.getTime() !== row.endedAt!.getTime()) stored.ended_at = attempt.endedAt!.toISOString();
    out.push({ ...row, attributes: { ...row.attributes, [FOLDED_ATTEMPT_KEY]: stored } });
    folded.add(attempt);
  }
  return folded.size === 0 ? rows : out.filter((row) => !folded.has(row));
}

function foldedAttemptOf(span: Span): FoldedAttempt | undefined {
  if (span.kind !== 'llm') return undefined;
  const stored = span.attributes[FOLDED_ATTEMPT_KEY] as Partial<FoldedAttempt> | undefined;
  if (stored === undefined || typeof stored !== 'object' || stored === null) return undefined;
  const { id, started_at: startedAt, model, ended_at: endedAt } = stored;
  if (typeof id !== 'string' || typeof startedAt !== 'string' || typeof model !== 'string') return undefined;
  return typeof endedAt === 'string' ? { id, started_at: startedAt, model, ended_at: endedAt } : { id, started_at: startedAt, model };
}

/** A stored span as it was recorded: an llm span, and the attempt folded into it when there is one. */
export function unfoldSpan(span: Span): [Span, Span?] {
  const stored = foldedAttemptOf(span);
  if (stored === undefined) return [span];
  const { [FOLDED_ATTEMPT_KEY]: _, ...attributes } = span.attributes;
  const attempt: Span = {
    id: stored.id,
    runId: span.runId,
    parentSpanId: span.id,
    kind: 'attempt',
    name: `${span.provider}/${stored.model}`,
    status: 'ok',
    startedAt: new Date(stored.started_at),
    endedAt: stored.ended_at === undefined ? span.endedAt : new Date(stored.ended_at),
    firstTokenAt: null,
    apiKeyId: span.apiKeyId,
    provider: span.provider,
    model: stored.model,
    upstreamModel: null,
    toolCallId: null,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costMicros: 0,
    httpStatus: null,
    error: null,
    request: null,
    result: null,
    raw: null,
    attributes: {},
    oneCallRun: null,
    teamId: null,
  };
  return [{ ...span, attributes }, attempt];
}

/**
 * Stored spans (in start order) as recorded: folded attempts come back as spans of their own, in
 * start order too (an attempt starting when another span does stays right after its llm span).
 */
export function unfoldAttempts(rows: Span[]): Span[] {
  let out: Span[] | undefined;
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    const [span, attempt] = unfoldSpan(row);
    if (attempt === undefined && out === undefined) continue;
    out ??= rows.slice(0, index);
    out.push(span);
    if (attempt !== undefined) out.push(attempt);
  }
  if (out === undefined) return rows;
  // Stable: rows keep the database's order among equal starts.
  return out.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
}
