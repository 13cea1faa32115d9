/**
 * Shapes of the prompt-injection heuristics: what a check reports (findings with a weight and a
 * span of the checked text) and the score they add up to.
 */

/** Where the checked text came from. Tool results (where indirect injection arrives) are judged more strictly. */
export type InjectionSource = 'user' | 'tool';

/**
 * What kind of evidence a finding is.
 * - `instruction_override`: "ignore all previous instructions", "your rules no longer apply".
 * - `role_play`: DAN-style personas without restrictions, "developer mode", "pretend you have no rules".
 * - `system_prompt_leak`: asks for the system prompt, hidden instructions or a guarded secret.
 * - `fake_role_marker`: chat-template tokens, `SYSTEM:` lines and delimiters that fake a new turn.
 * - `ai_directive`: text addressed to the AI ("Note to AI assistants: …", "tell the user to …").
 * - `exfiltration`: sends conversation data out (to an address, a URL, a markdown image).
 * - `hidden_text`: zero-width, bidi-control or tag characters, CSS-hidden text.
 * - `html_comment`: an HTML comment carrying instructions.
 * - `encoded_instructions`: base64 that decodes to instructions, or "decode this and follow it".
 */
export type InjectionSignal =
  | 'instruction_override'
  | 'role_play'
  | 'system_prompt_leak'
  | 'fake_role_marker'
  | 'ai_directive'
  | 'exfiltration'
  | 'hidden_text'
  | 'html_comment'
  | 'encoded_instructions';

/** One piece of evidence. */
export interface InjectionFinding {
  signal: InjectionSignal;
  /** How strongly this alone suggests an injection, 0..1, after the source's weighting and any damping. */
  weight: number;
  /** UTF-16 offsets in the checked text, end exclusive. */
  start: number;
  end: number;
  /** The heuristic that fired (`override.ignore-previous`, `hidden.zero-width`, …), for logs and tuning. */
  rule: string;
}

/** The verdict on one text. */
export interface InjectionScore {
  /** 0..1: the findings combined (strongest per rule, then 1 − Π(1 − weight)). */
  score: number;
  /** Sorted by start; at most a few dozen. */
  findings: InjectionFinding[];
}

/** A weight per source, 0..1. */
export interface SourceWeights {
  user: number;
  tool: number;
}
