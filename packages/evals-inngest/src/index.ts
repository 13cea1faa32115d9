export { createInngestReplays, INNGEST_PATH, type InngestReplays, type InngestReplaysOptions } from './inngest-replays.ts';
export { createInngestClient, type InngestReplayConfig } from './inngest-client.ts';
export { createPairFunction, createPlanFunction, FAN_OUT_CHUNK, type ReplayFunctionOptions } from './replay-functions.ts';
export { pairEvent, REPLAY_CANCELLED, REPLAY_PAIR, REPLAY_REQUESTED, type PairEventData, type ReplayEventData } from './replay-events.ts';
export { providerPrefix, ReplaySteps, type InngestReplayDeps, type PairOutcome, type PlannedPair } from './replay-steps.ts';
