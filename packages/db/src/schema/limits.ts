/** Limits a run starts with, unless lowered by the agent or changed by an admin. */
export interface RunLimits {
  /** Total cost of the run tree, in micro-dollars. */
  maxCostMicros?: number;
  /** LLM calls in the run tree. */
  maxCalls?: number;
  /** Tokens (input + output) in the run tree. */
  maxTokens?: number;
  /** Deepest sub-agent nesting (0 = no sub-agents). */
  maxDepth?: number;
  /** Milliseconds from the run tree's first call. */
  maxWallMs?: number;
}

/** Rate and run limits held by a key or a team (stored as jsonb). */
export interface CallerLimits {
  /** Requests per minute. */
  rpm?: number;
  /** Tokens per minute (input + output; estimated at reservation, corrected at settlement). */
  tpm?: number;
  /** Requests in flight at once (keys only). */
  maxParallel?: number;
  /** Defaults for runs started by the key or the team's keys. */
  run?: RunLimits;
}
