/** The replay provider as a suite file names it: `providers: [{ id: file://…/suite-entries/replay-provider.ts }]` (promptfoo constructs the default export). */
export { GantryReplayProvider as default } from '../gantry-replay-provider.ts';
