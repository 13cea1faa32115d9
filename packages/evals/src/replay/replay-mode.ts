import type { ReplayMode } from '../eval-types.ts';

/** `step`, `trajectory` or `fork:K` as a mode; undefined when it is none of them. */
export function parseReplayMode(text: string): ReplayMode | undefined {
  if (text === 'step' || text === 'trajectory') return { kind: text };
  const fork = /^fork:(\d{1,6})$/.exec(text);
  return fork === null ? undefined : { kind: 'fork', at: Number(fork[1]) };
}

/** The text form stored and shown. */
export function formatReplayMode(mode: ReplayMode): string {
  return mode.kind === 'fork' ? `fork:${mode.at}` : mode.kind;
}
