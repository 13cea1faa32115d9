/** An agent's prompt as guardrails see them: prose with many digits, dates, versions and paths (no personal value). */
export const AGENT_PROMPT = [
  'You are a coding agent working in the gantry repository. The user asked you to refactor the budget guard so that reservations',
  'expire after 15 minutes instead of 30, and to update the tests. First read packages/policy/src/budget-guard.ts (312 lines) and',
  'the settlement queue. The last CI run on 2024-11-05 at 14:32 took 6 minutes 12 seconds; 1,024 tests passed and 3 were skipped.',
  'Keep the public API stable: callers in apps/gateway rely on reserve(), settle() and release(). Node is 20.19.4, pnpm 9.12.1,',
  'TypeScript 5.9.3 and vitest 4.1.12. When you are done, summarize what changed in at most 200 words, list the files you touched,',
  'and explain any trade-off you made, for example between latency (p50 12.4 ms, p99 183 ms) and the cost of an extra round trip.',
  'Remember that money is stored as bigint micro-dollars, that ids are sortable ULIDs, and that every error message must say what to do.',
].join(' ');
