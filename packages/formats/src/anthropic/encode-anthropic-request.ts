import { withAnthropicExtras } from './anthropic-extras.ts';
import { InvalidRequestError, type ChatRequest, type ToolChoice } from '@gantry/spec';
import { budgetOfThinking, thinkingBudgetForEffort } from './anthropic-thinking.ts';
import { encodeAnthropicMessages } from './encode-anthropic-messages.ts';

export interface EncodeAnthropicRequestOptions {
  /** The model name the provider knows (without Gantry's `provider/` prefix). */
  model: string;
  stream: boolean;
  /** `max_tokens` when the request sets no `maxOutputTokens`; Anthropic requires one. Default 4096. */
  defaultMaxTokens?: number;
  /** Provider name for error messages. Default `anthropic`. */
  provider?: string;
}

export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

/** @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#forcing-tool-use */
function toolChoiceOf(choice: ToolChoice | undefined, parallelToolCalls: boolean | undefined): Record<string, unknown> | undefined {
  let wire: Record<string, unknown> | undefined;
  if (choice === 'auto') wire = { type: 'auto' };
  else if (choice === 'none') wire = { type: 'none' };
  else if (choice === 'required') wire = { type: 'any' };
  else if (choice !== undefined) wire = { type: 'tool', name: choice.name };
  if (parallelToolCalls === false) {
    // `none` has no parallel flag; with no choice given, auto is Anthropic's default.
    if (wire === undefined) wire = { type: 'auto' };
    if (wire.type !== 'none') wire.disable_parallel_tool_use = true;
  }
  return wire;
}

/**
 * Encodes a canonical request as an Anthropic Messages body.
 *
 * - `system`/`developer` messages → top-level `system`; tool messages → user `tool_result` blocks.
 * - `responseFormat` json_schema → native structured output `output_config.format` (json_object
 *   and a json_schema without a schema have no Anthropic equivalent and are not sent).
 * - `reasoningEffort` → `thinking: {type: "enabled", budget_tokens}` (low 1024, medium 4096,
 *   high 16384; minimal/none: no thinking), unless `providerOptions.anthropic` carries its own
 *   `thinking` or `output_config.effort`. When `max_tokens` ≤ the budget it is raised to
 *   budget + max_tokens so the answer keeps its room.
 * - `seed`, `frequencyPenalty`, `presencePenalty` have no Anthropic equivalent and are not sent.
 * - `n > 1` is a 400. `providerOptions.anthropic` is merged into the body last, verbatim
 *   (`output_config` is merged key by key).
 * @see https://docs.anthropic.com/en/api/messages
 */
export function encodeAnthropicRequest(request: ChatRequest, options: EncodeAnthropicRequestOptions): Record<string, unknown> {
  const provider = options.provider ?? 'anthropic';
  if (request.n !== undefined && request.n > 1) {
    throw new InvalidRequestError(`provider ${provider} generates one choice per request; got n=${request.n}. Send n=1 or omit it.`, { param: 'n' });
  }
  const extra = request.providerOptions?.anthropic ?? {};
  const { system, messages } = encodeAnthropicMessages(request.messages, provider);
  const body: Record<string, unknown> = { model: options.model };
  // A lone plain block is sent as the string clients write; blocks with extras (cache_control) stay blocks.
  const onlySystem = system[0];
  if (system.length > 0) body.system = system.length === 1 && onlySystem && Object.keys(onlySystem).length === 2 ? onlySystem.text : system;
  body.messages = messages;

  if (request.tools !== undefined) {
    // @see https://docs.anthropic.com/en/api/messages#body-tools
    body.tools = request.tools.map((tool) =>
      withAnthropicExtras(
        {
          name: tool.name,
          ...(tool.description === undefined ? {} : { description: tool.description }),
          input_schema: tool.parameters ?? { type: 'object', properties: {} },
          ...(tool.strict === undefined ? {} : { strict: tool.strict }),
        },
        tool,
      ),
    );
  }
  const toolChoice = toolChoiceOf(request.toolChoice, request.parallelToolCalls);
  if (toolChoice !== undefined) body.tool_choice = toolChoice;

  const format = request.responseFormat;
  if (format?.type === 'json_schema' && format.schema !== undefined) {
    // @see https://docs.anthropic.com/en/docs/build-with-claude/structured-outputs
    body.output_config = { format: { type: 'json_schema', schema: format.schema } };
  }

  let thinking = extra.thinking;
  const extraEffort = (extra.output_config as { effort?: unknown } | undefined)?.effort;
  if (thinking === undefined && extraEffort === undefined && request.reasoningEffort !== undefined) {
    const budget = thinkingBudgetForEffort(request.reasoningEffort, provider);
    if (budget !== null) thinking = body.thinking = { type: 'enabled', budget_tokens: budget };
  }
  let maxTokens = request.maxOutputTokens ?? options.defaultMaxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS;
  const budget = budgetOfThinking(thinking);
  // Anthropic requires budget_tokens < max_tokens, and thinking counts against max_tokens.
  if (budget !== undefined && maxTokens <= budget) maxTokens += budget;
  body.max_tokens = maxTokens;

  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) body.stop_sequences = request.stop;
  if (request.user !== undefined) body.metadata = { user_id: request.user };

  for (const [key, value] of Object.entries(extra)) {
    const current = body[key];
    body[key] =
      key === 'output_config' && typeof current === 'object' && current !== null && typeof value === 'object' && value !== null
        ? { ...current, ...value }
        : value;
  }
  if (options.stream) body.stream = true;
  else delete body.stream;
  return body;
}
