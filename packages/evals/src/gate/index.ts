/**
 * The gate's pure half — sides, verdicts, reports, the replay mode's text form — for the `gantry`
 * CLI, which must start fast: it imports this entry rather than the package's, which loads the
 * call pipeline and the database.
 */
export type { ItemSummary, ItemStatus } from '../replay/item-summary.ts';
export type { ReplayMode, StepScore } from '../eval-types.ts';
export { formatReplayMode, parseReplayMode } from '../replay/replay-mode.ts';
export { gateSides, p95, type GateBaseline, type GateItem } from './gate-sides.ts';
export { DEFAULT_MAX_REGRESSION, gateVerdicts, type GateRow, type GateSide, type GateThresholds, type GateVerdicts } from './gate-verdicts.ts';
export { createGateReport, renderJson, renderText, type GateFailure, type GateReport, type GateReportInput } from './gate-report.ts';
export { renderJunit } from './gate-report-junit.ts';
