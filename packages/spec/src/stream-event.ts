import type { FinishReason, Usage } from './chat-result.ts';

/** Response metadata, emitted once before any content. */
export interface ResponseStartEvent {
  type: 'response-start';
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
  systemFingerprint?: string;
  serviceTier?: string;
}

export interface TextDeltaEvent {
  type: 'text-delta';
  /** Choice index (n > 1); absent means 0. */
  choiceIndex?: number;
  delta: string;
  /** Provider log-probabilities for this delta, passed through to clients of the same wire family. */
  logprobs?: unknown;
}

export interface RefusalDeltaEvent {
  type: 'refusal-delta';
  choiceIndex?: number;
  delta: string;
}

export interface ReasoningDeltaEvent {
  type: 'reasoning-delta';
  choiceIndex?: number;
  delta: string;
  /** Signature of the reasoning block, sent by providers at its end. */
  signature?: string;
  redactedData?: string;
}

/** A tool call begins. `index` is unique per tool call within the response choice. */
export interface ToolCallStartEvent {
  type: 'tool-call-start';
  choiceIndex?: number;
  index: number;
  id: string;
  name: string;
}

export interface ToolCallDeltaEvent {
  type: 'tool-call-delta';
  choiceIndex?: number;
  index: number;
  argumentsDelta: string;
}

export interface ToolCallEndEvent {
  type: 'tool-call-end';
  choiceIndex?: number;
  index: number;
}

/** A choice finished. One per choice. */
export interface FinishEvent {
  type: 'finish';
  choiceIndex?: number;
  finishReason: FinishReason;
  rawFinishReason?: string;
}

/**
 * Token usage of the whole response, emitted once after the last `finish`. A separate event
 * (rather than a field of `finish`) because usage covers all choices when n > 1.
 */
export interface UsageEvent {
  type: 'usage';
  usage: Usage;
}

export type StreamEvent =
  | ResponseStartEvent
  | TextDeltaEvent
  | RefusalDeltaEvent
  | ReasoningDeltaEvent
  | ToolCallStartEvent
  | ToolCallDeltaEvent
  | ToolCallEndEvent
  | FinishEvent
  | UsageEvent;
