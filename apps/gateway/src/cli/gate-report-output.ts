import { renderJson, renderJunit, renderText } from '@gantry/evals/gate';
import type { GateFormat } from './gate-exit.ts';
import type { GateOutcome } from './gate-outcome.ts';

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
