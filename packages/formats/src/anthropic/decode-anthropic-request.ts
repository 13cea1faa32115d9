import { InvalidRequestError, type AssistantPart, type ChatRequest, type Message, type TextPart, type UserPart } from '@gantry/spec';
import { formatDataUrl } from '../data-url.ts';
import { checkJsonDepth } from '../check-json-value.ts';
import { toInvalidRequestError } from '../format-zod-error.ts';
import { decodeToolArguments } from '../tool-arguments.ts';
import { ANTHROPIC_CANONICAL_KEYS, anthropicRequestSchema, type AnthropicRequest } from './anthropic-request-schema.ts';
import { anthropicExtras } from './anthropic-extras.ts';
import { effortForThinkingBudget } from './anthropic-thinking.ts';

type WireMessage = AnthropicRequest['messages'][number];
type UserBlock = Exclude<Extract<WireMessage, { role: 'user' }>['content'], string>[number];

function textParts(content: string | { text: string }[] | undefined): TextPart[] {
  if (content === undefined) return [];
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content.map((block) => ({ type: 'text', text: block.text, ...anthropicExtras(block) }));
}

function userPart(block: Exclude<UserBlock, { type: 'tool_result' }>): UserPart {
  const extras = anthropicExtras(block);
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text, ...extras };
    case 'image':
      return block.source.type === 'url'
        ? { type: 'image', url: block.source.url, ...extras }
        : { type: 'image', url: formatDataUrl({ mimeType: block.source.media_type, data: block.source.data }), ...extras };
    case 'document': {
      const part: UserPart = { type: 'file', data: formatDataUrl({ mimeType: 'application/pdf', data: block.source.data }), ...extras };
      if (block.title != null) part.filename = block.title;
      return part;
    }
  }
}

/**
 * A user turn becomes tool messages (one per `tool_result`) and user messages (runs of other
 * blocks), in block order.
 */
function decodeUserTurn(content: string | UserBlock[]): Message[] {
  if (typeof content === 'string') return [{ role: 'user', content: [{ type: 'text', text: content }] }];
  const out: Message[] = [];
  let pending: UserPart[] = [];
  const flush = (): void => {
    if (pending.length > 0) out.push({ role: 'user', content: pending });
    pending = [];
  };
  for (const block of content) {
    if (block.type === 'tool_result') {
      flush();
      out.push({
        role: 'tool',
        toolCallId: block.tool_use_id,
        content: textParts(block.content),
        ...(block.is_error === true ? { isError: true } : {}),
        ...anthropicExtras(block),
      });
    } else pending.push(userPart(block));
  }
  flush();
  return out;
}

function decodeAssistantTurn(content: Extract<WireMessage, { role: 'assistant' }>['content']): Message {
  if (typeof content === 'string') return { role: 'assistant', content: [{ type: 'text', text: content }] };
  const parts = content.map((block): AssistantPart => {
    switch (block.type) {
      case 'text':
        return { type: 'text', text: block.text, ...anthropicExtras(block) };
      case 'tool_use':
        return { type: 'tool-call', id: block.id, name: block.name, arguments: decodeToolArguments(block.input), ...anthropicExtras(block) };
      case 'thinking':
        return { type: 'reasoning', text: block.thinking, signature: block.signature };
      case 'redacted_thinking':
        return { type: 'reasoning', text: '', redactedData: block.data };
    }
  });
  return { role: 'assistant', content: parts };
}

/**
 * Decodes a client's Anthropic Messages body. Throws InvalidRequestError naming the field, also
 * for a body nested deeper than `MAX_JSON_DEPTH` levels.
 *
 * `thinking`, `output_config`, `top_k` and every other key without a canonical meaning are kept
 * verbatim in `providerOptions.anthropic`, so an Anthropic target gets them unchanged; `thinking`
 * (its budget) and `output_config` (effort, format) are also mapped to `reasoningEffort` and
 * `responseFormat` for other targets. Adaptive thinking without an effort maps to no effort: the
 * target's default.
 * @see https://docs.anthropic.com/en/api/messages
 */
export function decodeAnthropicRequest(body: unknown): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('request body must be a JSON object with "model", "max_tokens" and "messages"');
  }
  // Unknown keys and tool inputs are kept verbatim: past a bound, serializing them would run out of stack.
  checkJsonDepth(body);
  const parsed = anthropicRequestSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw toInvalidRequestError(parsed.error, 'messages request');
  const wire = parsed.data;

  const messages: Message[] = [];
  const system = typeof wire.system === 'string' ? (wire.system === '' ? [] : textParts(wire.system)) : textParts(wire.system);
  if (system.length > 0) messages.push({ role: 'system', content: system });
  for (const message of wire.messages) {
    if (message.role === 'user') messages.push(...decodeUserTurn(message.content));
    else messages.push(decodeAssistantTurn(message.content));
  }

  const request: ChatRequest = {
    model: wire.model,
    messages,
    maxOutputTokens: wire.max_tokens,
    stream: wire.stream === true,
    // Anthropic streams always report usage.
    includeUsage: wire.stream === true,
  };
  if (wire.tools !== undefined) {
    request.tools = wire.tools.map((tool, index) => {
      if (tool.type !== undefined && tool.type !== 'custom') {
        throw new InvalidRequestError(
          `tools[${index}].type: server tool ${JSON.stringify(tool.type)} is not supported through Gantry; declare a client tool with name, description and input_schema`,
          { param: `tools[${index}].type` },
        );
      }
      if (tool.input_schema === undefined) {
        throw new InvalidRequestError(`invalid messages request: tools[${index}].input_schema: expected object, got nothing (the field is required)`, {
          param: `tools[${index}].input_schema`,
        });
      }
      return {
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parameters: tool.input_schema,
        ...(tool.strict === undefined ? {} : { strict: tool.strict }),
        ...anthropicExtras(tool),
      };
    });
  }
  const choice = wire.tool_choice;
  if (choice !== undefined) {
    request.toolChoice = choice.type === 'auto' ? 'auto' : choice.type === 'none' ? 'none' : choice.type === 'any' ? 'required' : { name: choice.name };
    if ('disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true) request.parallelToolCalls = false;
  }
  if (wire.stop_sequences !== undefined && wire.stop_sequences.length > 0) request.stop = wire.stop_sequences;
  if (wire.temperature !== undefined) request.temperature = wire.temperature;
  if (wire.top_p !== undefined) request.topP = wire.top_p;
  if (wire.metadata?.user_id != null) request.user = wire.metadata.user_id;

  const budget = wire.thinking?.type === 'enabled' ? wire.thinking.budget_tokens : undefined;
  if (budget !== undefined) request.reasoningEffort = effortForThinkingBudget(budget);
  else if (wire.thinking?.type !== 'disabled' && wire.output_config?.effort != null) request.reasoningEffort = wire.output_config.effort;
  const format = wire.output_config?.format;
  if (format != null) request.responseFormat = { type: 'json_schema', name: 'output', schema: format.schema };

  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(wire)) {
    if (!ANTHROPIC_CANONICAL_KEYS.has(key)) extra[key] = (wire as Record<string, unknown>)[key];
  }
  if (Object.keys(extra).length > 0) request.providerOptions = { anthropic: extra };
  return request;
}
