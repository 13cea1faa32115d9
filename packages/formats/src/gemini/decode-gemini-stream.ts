import { randomUUID } from 'node:crypto';
import { ProviderUnreachableError, type StreamEvent, type Usage } from '@gantry/spec';
import { decodeGeminiPart } from './decode-gemini-part.ts';
import { decodeGeminiError } from './gemini-error.ts';
import { geminiResponseSchema } from './gemini-wire-schemas.ts';
import { decodeGeminiUsage, mapGeminiFinishReason } from './map-gemini-finish-reason.ts';

export interface GeminiStreamDecoder {
  /**
   * Decodes one SSE `data:` payload (a GenerateContentResponse chunk) into events. A bare
   * `{"error": …}` object — sent as a data payload or as a stray non-SSE line — throws the
   * matching ProviderHttpError.
   */
  decode(data: string): StreamEvent[];
  /**
   * The trailing events, once the body has ended: one `finish` per candidate, then one `usage`
   * (the last `usageMetadata` seen). Gemini has no end sentinel, so the end of the body is the end.
   */
  finish(): StreamEvent[];
  /** True once every candidate seen has reported a finishReason (or the prompt was blocked). */
  readonly finished: boolean;
}

interface CandidateState {
  /** Tool calls started so far; the next call's `index`. */
  toolCalls: number;
  rawFinishReason?: string;
}

/**
 * Decodes `streamGenerateContent?alt=sse` chunks into canonical events. Each chunk is a whole
 * GenerateContentResponse: text parts become `text-delta`s, thought parts `reasoning-delta`s, and
 * each function call (always whole) `tool-call-start` + one `tool-call-delta` + `tool-call-end`
 * with its own `index`, counted across chunks. `finish` and `usage` are held until `finish()`:
 * every chunk repeats usageMetadata (the last one is the total), and a finishReason may repeat
 * too (the official SDK's own framing test sends STOP on every chunk), so the end of the body is
 * the only point where a choice is known to be finished.
 * @see https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 */
export function createGeminiStreamDecoder(provider: string): GeminiStreamDecoder {
  let started = false;
  let usage: Usage | undefined;
  let blockReason: string | undefined;
  const candidates = new Map<number, CandidateState>();

  function candidate(index: number): CandidateState {
    let state = candidates.get(index);
    if (state === undefined) {
      state = { toolCalls: 0 };
      candidates.set(index, state);
    }
    return state;
  }

  return {
    get finished() {
      if (blockReason !== undefined) return true;
      return candidates.size > 0 && [...candidates.values()].every((state) => state.rawFinishReason !== undefined);
    },

    decode(data: string): StreamEvent[] {
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        throw new ProviderUnreachableError(provider, `provider ${provider} sent a malformed stream frame (not JSON): ${data.slice(0, 200)}`);
      }
      if (typeof json === 'object' && json !== null && 'error' in json) throw decodeGeminiError(200, json, provider);
      const parsed = geminiResponseSchema.safeParse(json);
      if (!parsed.success) {
        throw new ProviderUnreachableError(provider, `provider ${provider} sent a malformed stream chunk: ${parsed.error.issues[0]?.message ?? ''}`);
      }
      const chunk = parsed.data;
      const events: StreamEvent[] = [];
      if (!started) {
        started = true;
        events.push({
          type: 'response-start',
          id: chunk.responseId ?? `resp_${randomUUID().replaceAll('-', '')}`,
          model: chunk.modelVersion ?? '',
          created: Math.floor(Date.now() / 1000),
        });
      }
      for (const [position, wireCandidate] of (chunk.candidates ?? []).entries()) {
        const choiceIndex = wireCandidate.index ?? position;
        const at = choiceIndex === 0 ? {} : { choiceIndex };
        const state = candidate(choiceIndex);
        for (const part of (wireCandidate.content?.parts ?? []).flatMap(decodeGeminiPart)) {
          switch (part.type) {
            case 'reasoning':
              events.push(part.signature === undefined
                ? { type: 'reasoning-delta', ...at, delta: part.text }
                : { type: 'reasoning-delta', ...at, delta: part.text, signature: part.signature });
              break;
            case 'text':
              events.push({ type: 'text-delta', ...at, delta: part.text });
              break;
            case 'tool-call': {
              const index = state.toolCalls++;
              events.push(
                { type: 'tool-call-start', ...at, index, id: part.id, name: part.name },
                { type: 'tool-call-delta', ...at, index, argumentsDelta: part.arguments },
                { type: 'tool-call-end', ...at, index },
              );
              break;
            }
            case 'refusal':
              break;
          }
        }
        if (wireCandidate.finishReason !== undefined) state.rawFinishReason = wireCandidate.finishReason;
      }
      if (chunk.promptFeedback?.blockReason !== undefined) blockReason = chunk.promptFeedback.blockReason;
      if (chunk.usageMetadata !== undefined) usage = decodeGeminiUsage(chunk.usageMetadata);
      return events;
    },

    finish(): StreamEvent[] {
      const events: StreamEvent[] = [];
      if (candidates.size === 0 && blockReason !== undefined) {
        events.push({ type: 'finish', finishReason: 'content-filter', rawFinishReason: blockReason });
      }
      for (const [choiceIndex, state] of [...candidates.entries()].sort(([a], [b]) => a - b)) {
        const at = choiceIndex === 0 ? {} : { choiceIndex };
        const finishReason = mapGeminiFinishReason(state.rawFinishReason, state.toolCalls > 0);
        events.push(state.rawFinishReason === undefined
          ? { type: 'finish', ...at, finishReason }
          : { type: 'finish', ...at, finishReason, rawFinishReason: state.rawFinishReason });
      }
      if (usage !== undefined) events.push({ type: 'usage', usage });
      return events;
    },
  };
}
