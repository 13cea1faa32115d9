import type { FinishReason } from '@gantry/spec';

const ANTHROPIC_STOP_REASONS = new Set(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded']);

/** @see https://docs.anthropic.com/en/api/handling-stop-reasons */
export function mapAnthropicStopReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool-calls';
    case 'refusal':
      return 'content-filter';
    default:
      // pause_turn (a server tool paused a long turn) and anything newer keep their word in rawFinishReason.
      return 'other';
  }
}

/**
 * Canonical → Anthropic `stop_reason`. `raw` is the upstream's own word: kept when it is already an
 * Anthropic one (so `stop_sequence` and `pause_turn` survive an Anthropic → Anthropic call).
 * @see https://docs.anthropic.com/en/api/messages#response-stop-reason
 */
export function toAnthropicStopReason(reason: FinishReason, raw: string | undefined): string {
  if (raw !== undefined && ANTHROPIC_STOP_REASONS.has(raw) && mapAnthropicStopReason(raw) === reason) return raw;
  switch (reason) {
    case 'stop':
      return 'end_turn';
    case 'length':
      return 'max_tokens';
    case 'tool-calls':
      return 'tool_use';
    case 'content-filter':
      return 'refusal';
    case 'error':
    case 'other':
      return raw !== undefined && ANTHROPIC_STOP_REASONS.has(raw) ? raw : 'end_turn';
  }
}
