import type { ChatRequest, ChatResult } from '@gantry/spec';

/**
 * The shapes datasets, replays and scores share. A dataset item is a snapshot of one recorded
 * agent run tree (root and sub-agent runs): what was asked, what was answered, which tools ran
 * with which results. It is a copy, not a reference, so span retention cannot break a dataset,
 * and it is what a dataset's JSONL export holds one line per item of.
 */

/** Version of the snapshot shape; importers refuse versions they do not know. */
export const SNAPSHOT_VERSION = 1;

/** One run of the recorded tree, root first, in the order they started. */
export interface SnapshotRun {
  /** The recorded run id. */
  id: string;
  parentRunId: string | null;
  /** The parent's tool call that spawned this run, when the gateway knew it. */
  parentToolCallId: string | null;
  name: string | null;
  depth: number;
  status: string;
}

/** One recorded LLM call (an `llm` span that answered), in the order the calls started. */
export interface SnapshotStep {
  /** 0-based position in the item, over the whole tree. */
  index: number;
  /** The run that made the call. */
  runId: string;
  /** The recorded `llm` span. */
  spanId: string;
  /** What the client addressed (an alias or `provider/model`). */
  model: string;
  /** `provider/model` that answered, when known. */
  target: string | null;
  /** The canonical request, recorded tool results included. */
  request: ChatRequest;
  /** The canonical answer. */
  result: ChatResult;
  costMicros: number;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  /** Time to the first token, for streamed calls. */
  ttftMs: number | null;
}

/** One tool call the agent executed, with the result it sent back. */
export interface SnapshotTool {
  runId: string;
  toolCallId: string;
  name: string;
  /** The arguments JSON text as the model sent it. */
  arguments: string;
  /** What the agent sent back in the tool message; null when no later call carried it. */
  output: string | null;
  /** Index of the step whose answer made the call. */
  calledIn: number;
  /** The sub-agent run this tool call spawned, if any. */
  childRunId: string | null;
}

/** A dataset item: one recorded run tree. */
export interface ItemSnapshot {
  version: typeof SNAPSHOT_VERSION;
  source: {
    runId: string;
    name: string | null;
    apiKeyId: string | null;
    teamId: string | null;
    status: string;
    startedAt: string;
    costMicros: number;
  };
  runs: SnapshotRun[];
  steps: SnapshotStep[];
  tools: SnapshotTool[];
}

/** How a replay drives the candidate. */
export type ReplayMode = { kind: 'step' } | { kind: 'trajectory' } | { kind: 'fork'; at: number };

/** Finish class of an answer, for the tool-choice score. */
export type FinishClass = 'tool-calls' | 'text' | 'length' | 'content-filter' | 'error' | 'other';

/** What one answer did: the action compared step by step. */
export interface StepAction {
  finish: FinishClass;
  /** Tool calls in the order made; `arguments` is the JSON text. */
  toolCalls: { name: string; arguments: string }[];
  /** The answer's text (all text parts joined), '' when none. */
  text: string;
}

/** Per-tool rules for comparing arguments: paths to ignore and defaults filled in before comparing. */
export interface ToolArgumentRules {
  /** JSON paths (`a.b`, `items[0].id`, `items[*].id`) left out of the comparison. */
  ignore?: string[];
  /** Values assumed when an argument is missing, by top-level name. */
  defaults?: Record<string, unknown>;
}

/** Options of the deterministic scorers. */
export interface ScoreOptions {
  /** By tool name. */
  toolArguments?: Record<string, ToolArgumentRules>;
  /** Relative tolerance when both answers are numbers (default 1e-6). */
  numericTolerance?: number;
  /** The score at or above which an answer counts as equivalent (default 1). */
  answerThreshold?: number;
  /**
   * An embeddings model or alias (called through Gantry, as the replaying key): answers the
   * deterministic ladder finds different count as equivalent at cosine similarity ≥
   * `similarityThreshold` (default 0.9).
   */
  embeddingModel?: string;
  similarityThreshold?: number;
  /** A chat model or alias (through Gantry) that judges, last, whether two answers are equivalent. */
  judgeModel?: string;
}

/** Which rung of the answer ladder decided. */
export type AnswerMethod = 'exact' | 'numeric' | 'json' | 'embedding' | 'judge' | 'different';

/** How one candidate step compared with the recorded one. */
export interface StepScore {
  /** 1 when the same tools (multiset, order-free) or both no tool with the same finish class; else 0. */
  toolChoice: number;
  /** 0..1: 1 when every call's canonical arguments are equal, else the fraction of equal paths; 1 when no tools. */
  toolArguments: number;
  /** 0..1 answer equivalence when both answered with text; null when not applicable. */
  answer: number | null;
  answerMethod: AnswerMethod | null;
  /** Whether the step counts as agreeing: tool choice 1, arguments 1, answer ≥ threshold. */
  pass: boolean;
  /** What differed, for people: `tool choice: recorded [web_search×2], candidate [read_notes]`. */
  differences: string[];
}
