/** The gate's exit codes, and what each means. */
export const GATE_EXIT = {
  /** Every metric passed (or was inconclusive). */
  pass: 0,
  /** A metric regressed. */
  regression: 1,
  /** Bad flags, unknown dataset or model, an HTTP 4xx from the gateway, no gateway at the URL. */
  usage: 2,
  /** The verdict does not cover the whole dataset: the replay failed or was cancelled, an item is incomplete, or --timeout came first. */
  incomplete: 3,
} as const;

export type GateExitCode = (typeof GATE_EXIT)[keyof typeof GATE_EXIT];

/** The formats `gantry eval gate --format` writes. */
export const GATE_FORMATS = ['text', 'json', 'junit'] as const;
export type GateFormat = (typeof GATE_FORMATS)[number];
