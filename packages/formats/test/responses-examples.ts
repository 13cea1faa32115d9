import type { ResponsesEcho } from '../src/openai-responses/responses-types.ts';

/** What a Response echoes of a bare request: OpenAI's defaults, as the recordings show them. */
export const DEFAULT_ECHO: ResponsesEcho = {
  instructions: null,
  max_output_tokens: null,
  max_tool_calls: null,
  parallel_tool_calls: true,
  previous_response_id: null,
  reasoning: { effort: null, summary: null },
  store: true,
  temperature: 1,
  text: { format: { type: 'text' }, verbosity: 'medium' },
  tool_choice: 'auto',
  tools: [],
  top_logprobs: 0,
  top_p: 1,
  truncation: 'disabled',
  user: null,
  metadata: {},
};
