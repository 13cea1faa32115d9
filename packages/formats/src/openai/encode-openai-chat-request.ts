import type { ChatRequest, Message, TextPart } from '@gantry/spec';

export interface EncodeOpenAIChatRequestOptions {
  /** The model name the provider knows (without Gantry's `provider/` prefix). */
  model: string;
  /** Stream from the provider; usage is always requested so that every stream can be billed. */
  stream: boolean;
}

function textContent(parts: TextPart[]): string | { type: 'text'; text: string }[] {
  return parts.length === 1 && parts[0] ? parts[0].text : parts.map((part) => ({ type: 'text', text: part.text }));
}

function encodeMessage(message: Message): Record<string, unknown> {
  switch (message.role) {
    case 'system':
    case 'developer':
      return withName({ role: message.role, content: textContent(message.content) }, message.name);
    case 'user': {
      const only = message.content[0];
      const content =
        message.content.length === 1 && only?.type === 'text'
          ? only.text
          : message.content.map((part) => {
              switch (part.type) {
                case 'text':
                  return { type: 'text', text: part.text };
                case 'image':
                  return { type: 'image_url', image_url: part.detail === undefined ? { url: part.url } : { url: part.url, detail: part.detail } };
                case 'audio':
                  return { type: 'input_audio', input_audio: { data: part.data, format: part.format } };
                case 'file':
                  return { type: 'file', file: { file_id: part.fileId, file_data: part.data, filename: part.filename } };
              }
            });
      return withName({ role: 'user', content }, message.name);
    }
    case 'assistant': {
      let text: string | null = null;
      let refusal: string | null = null;
      const toolCalls: Record<string, unknown>[] = [];
      for (const part of message.content) {
        if (part.type === 'text') text = (text ?? '') + part.text;
        else if (part.type === 'refusal') refusal = (refusal ?? '') + part.text;
        else if (part.type === 'tool-call') {
          toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
        }
        // Reasoning is not part of OpenAI's input format; OpenAI-compatible servers ignore it too.
      }
      const wire: Record<string, unknown> = { role: 'assistant', content: text };
      if (refusal !== null) wire.refusal = refusal;
      if (toolCalls.length > 0) wire.tool_calls = toolCalls;
      return withName(wire, message.name);
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: textContent(message.content) };
  }
}

function withName(wire: Record<string, unknown>, name: string | undefined): Record<string, unknown> {
  if (name !== undefined) wire.name = name;
  return wire;
}

/** Encodes a canonical request as an OpenAI chat completions body. @see https://platform.openai.com/docs/api-reference/chat/create */
export function encodeOpenAIChatRequest(request: ChatRequest, options: EncodeOpenAIChatRequestOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { model: options.model, messages: request.messages.map(encodeMessage) };
  const extra = request.providerOptions?.openai;
  if (request.tools !== undefined) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        ...(tool.parameters === undefined ? {} : { parameters: tool.parameters }),
        ...(tool.strict === undefined ? {} : { strict: tool.strict }),
      },
    }));
  }
  if (request.toolChoice !== undefined) {
    body.tool_choice = typeof request.toolChoice === 'string' ? request.toolChoice : { type: 'function', function: { name: request.toolChoice.name } };
  }
  if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  if (request.responseFormat !== undefined) {
    const format = request.responseFormat;
    body.response_format =
      format.type === 'json_schema'
        ? {
            type: 'json_schema',
            json_schema: {
              name: format.name,
              ...(format.description === undefined ? {} : { description: format.description }),
              ...(format.schema === undefined ? {} : { schema: format.schema }),
              ...(format.strict === undefined ? {} : { strict: format.strict }),
            },
          }
        : { type: format.type };
  }
  if (request.maxOutputTokens !== undefined && extra?.max_tokens === undefined) body.max_completion_tokens = request.maxOutputTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop !== undefined) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.n !== undefined) body.n = request.n;
  if (request.reasoningEffort !== undefined) body.reasoning_effort = request.reasoningEffort;
  if (request.user !== undefined) body.user = request.user;
  if (extra !== undefined) Object.assign(body, extra);
  if (options.stream) {
    body.stream = true;
    body.stream_options = { ...(extra?.stream_options as object | undefined), include_usage: true };
  } else delete body.stream_options; // OpenAI rejects stream_options on a non-streaming call.
  return body;
}
