import { InvalidRequestError, type AssistantPart, type ChatRequest, type Message, type TextPart, type UserPart } from '@gantry/spec';
import { checkJsonDepth } from '../check-json-value.ts';
import { toInvalidRequestError } from '../format-zod-error.ts';
import { OPENAI_CANONICAL_KEYS, openaiChatRequestSchema, type OpenAIChatRequest } from './openai-wire-schemas.ts';

type WireMessage = OpenAIChatRequest['messages'][number];

function textParts(content: string | { type: 'text'; text: string }[]): TextPart[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content.map((part) => ({ type: 'text', text: part.text }));
}

function decodeMessage(message: WireMessage): Message {
  switch (message.role) {
    case 'system':
    case 'developer':
      return withName({ role: message.role, content: textParts(message.content) }, message.name);
    case 'user': {
      const content: UserPart[] =
        typeof message.content === 'string'
          ? [{ type: 'text', text: message.content }]
          : message.content.map((part): UserPart => {
              switch (part.type) {
                case 'text':
                  return { type: 'text', text: part.text };
                case 'image_url':
                  return part.image_url.detail === undefined
                    ? { type: 'image', url: part.image_url.url }
                    : { type: 'image', url: part.image_url.url, detail: part.image_url.detail };
                case 'input_audio':
                  return { type: 'audio', data: part.input_audio.data, format: part.input_audio.format };
                case 'file':
                  return {
                    type: 'file',
                    ...(part.file.file_id === undefined ? {} : { fileId: part.file.file_id }),
                    ...(part.file.file_data === undefined ? {} : { data: part.file.file_data }),
                    ...(part.file.filename === undefined ? {} : { filename: part.file.filename }),
                  };
              }
            });
      return withName({ role: 'user', content }, message.name);
    }
    case 'assistant': {
      const content: AssistantPart[] = [];
      if (message.reasoning_content != null || message.reasoning_signature != null) {
        content.push({
          type: 'reasoning',
          text: message.reasoning_content ?? '',
          ...(message.reasoning_signature == null ? {} : { signature: message.reasoning_signature }),
        });
      }
      if (typeof message.content === 'string') content.push({ type: 'text', text: message.content });
      else if (message.content != null) {
        for (const part of message.content) {
          content.push(part.type === 'text' ? { type: 'text', text: part.text } : { type: 'refusal', text: part.refusal });
        }
      }
      if (message.refusal != null) content.push({ type: 'refusal', text: message.refusal });
      for (const call of message.tool_calls ?? []) {
        content.push({ type: 'tool-call', id: call.id, name: call.function.name, arguments: call.function.arguments });
      }
      return withName({ role: 'assistant', content }, message.name);
    }
    case 'tool':
      return { role: 'tool', toolCallId: message.tool_call_id, content: textParts(message.content) };
  }
}

function withName<T extends Message>(message: T, name: string | undefined): T {
  if (name !== undefined) (message as { name?: string }).name = name;
  return message;
}

/**
 * Decodes a client's OpenAI chat completions body. Throws InvalidRequestError naming the field,
 * also for a body nested deeper than `MAX_JSON_DEPTH` levels.
 */
export function decodeOpenAIChatRequest(body: unknown): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('request body must be a JSON object with "model" and "messages"');
  }
  // Unknown parameters pass through verbatim to OpenAI-family targets: past a bound, serializing
  // them for the upstream or the recorder would run out of stack.
  checkJsonDepth(body);
  const parsed = openaiChatRequestSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw toInvalidRequestError(parsed.error, 'chat completion request');
  const wire = parsed.data;

  const request: ChatRequest = {
    model: wire.model,
    messages: wire.messages.map(decodeMessage),
    stream: wire.stream === true,
    includeUsage: wire.stream === true && wire.stream_options?.include_usage === true,
  };
  if (wire.tools !== undefined) {
    request.tools = wire.tools.map((tool) => ({
      name: tool.function.name,
      ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
      ...(tool.function.parameters === undefined ? {} : { parameters: tool.function.parameters }),
      ...(tool.function.strict == null ? {} : { strict: tool.function.strict }),
    }));
  }
  if (wire.tool_choice !== undefined) {
    request.toolChoice = typeof wire.tool_choice === 'string' ? wire.tool_choice : { name: wire.tool_choice.function.name };
  }
  if (wire.parallel_tool_calls !== undefined) request.parallelToolCalls = wire.parallel_tool_calls;
  if (wire.response_format !== undefined) {
    const format = wire.response_format;
    request.responseFormat =
      format.type === 'json_schema'
        ? {
            type: 'json_schema',
            name: format.json_schema.name,
            ...(format.json_schema.description === undefined ? {} : { description: format.json_schema.description }),
            ...(format.json_schema.schema === undefined ? {} : { schema: format.json_schema.schema }),
            ...(format.json_schema.strict == null ? {} : { strict: format.json_schema.strict }),
          }
        : { type: format.type };
  }
  const maxTokens = wire.max_completion_tokens ?? wire.max_tokens;
  if (maxTokens != null) request.maxOutputTokens = maxTokens;
  if (wire.temperature != null) request.temperature = wire.temperature;
  if (wire.top_p != null) request.topP = wire.top_p;
  if (wire.stop != null) request.stop = typeof wire.stop === 'string' ? [wire.stop] : wire.stop;
  if (wire.seed != null) request.seed = wire.seed;
  if (wire.frequency_penalty != null) request.frequencyPenalty = wire.frequency_penalty;
  if (wire.presence_penalty != null) request.presencePenalty = wire.presence_penalty;
  if (wire.n != null) request.n = wire.n;
  if (wire.reasoning_effort != null) request.reasoningEffort = wire.reasoning_effort;
  if (wire.user !== undefined) request.user = wire.user;

  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(wire)) {
    if (!OPENAI_CANONICAL_KEYS.has(key)) extra[key] = (wire as Record<string, unknown>)[key];
  }
  // Older models reject max_completion_tokens and newer ones reject max_tokens: keep the client's choice.
  if (wire.max_tokens != null && wire.max_completion_tokens == null) extra.max_tokens = wire.max_tokens;
  // include_usage is canonical (includeUsage); the other stream options (include_obfuscation) pass through.
  const { include_usage: _includeUsage, ...streamOptions } = wire.stream_options ?? {};
  if (wire.stream === true && Object.keys(streamOptions).length > 0) extra.stream_options = streamOptions;
  if (Object.keys(extra).length > 0) request.providerOptions = { openai: extra };
  return request;
}
