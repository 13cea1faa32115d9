import { renderJson, renderJunit, renderText } from '@gantry/evals';
import type { GateOutcome } from './gate-outcome.ts';

/** The formats `gantry eval gate --format` writes. */
export const GATE_FORMATS = ['text', 'json', 'junit'] as const;
export type GateFormat = (typeof GATE_FORMATS)[number];

/** The report in a format; incompleteness is part of the report (text lines, JSON fields, a JUnit error). */
export function renderGateOutcome(outcome: GateOutcome, format: GateFormat): string {
  switch (format) {
    case 'text':
      return renderText(outcome.report);
    case 'json':
      return `${renderJson(outcome.report)}\n`;
    case 'junit':
      return `${renderJunit(outcome.report)}\n`;
  }
}
