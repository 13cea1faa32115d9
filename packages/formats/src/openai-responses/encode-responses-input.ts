import { InvalidRequestError, type AssistantMessage, type Message, type ProviderOptions, type TextPart, type UserMessage } from '@gantry/spec';

type WireItem = Record<string, unknown>;

/** The conversation in Responses form: the leading system message as `instructions`, the rest as `input` items. */
export interface ResponsesInput {
  instructions?: string;
  input: WireItem[];
}

function joinText(parts: TextPart[]): string {
  return parts.map((part) => part.text).join('\n');
}

/** A `detail` only the Responses API knows (`original`), kept by the Responses ingress in the part's provider options. */
function responsesDetail(part: { providerOptions?: ProviderOptions }): string | undefined {
  const detail = part.providerOptions?.openaiResponses?.detail;
  return typeof detail === 'string' ? detail : undefined;
}

/** @see https://platform.openai.com/docs/api-reference/responses/create#responses-create-input */
function encodeUserContent(message: UserMessage, messageIndex: number, provider: string): WireItem[] {
  return message.content.map((part, partIndex): WireItem => {
    switch (part.type) {
      case 'text':
        return { type: 'input_text', text: part.text };
      case 'image':
        // `detail` is required on input_image; `auto` is what chat completions assumes when it is absent.
        return { type: 'input_image', image_url: part.url, detail: responsesDetail(part) ?? part.detail ?? 'auto' };
      case 'file':
        // An image the Responses ingress received by file id: an image again, not a file.
        if (part.providerOptions?.openaiResponses?.type === 'input_image' && part.fileId !== undefined) {
          return { type: 'input_image', file_id: part.fileId, detail: responsesDetail(part) ?? 'auto' };
        }
        return {
          type: 'input_file',
          ...(part.fileId === undefined ? {} : { file_id: part.fileId }),
          ...(part.data === undefined ? {} : { file_data: part.data }),
          ...(part.filename === undefined ? {} : { filename: part.filename }),
        };
      case 'audio':
        throw new InvalidRequestError(
          `provider ${provider} is called through the Responses API, which takes no audio input; send the audio to a target with api: chat, or transcribe it first`,
          { param: `messages[${messageIndex}].content[${partIndex}]` },
        );
    }
  });
}

/**
 * An assistant turn as items, in the order of its parts: text and refusals gathered into
 * `message` items, `function_call` items, and `reasoning` items for reasoning that carries a
 * signature (its `encrypted_content`). Reasoning without one cannot be sent back and is left out.
 */
function encodeAssistant(message: AssistantMessage): WireItem[] {
  const items: WireItem[] = [];
  let content: WireItem[] = [];
  const flush = (): void => {
    if (content.length === 0) return;
    items.push({ type: 'message', role: 'assistant', content });
    content = [];
  };
  for (const part of message.content) {
    switch (part.type) {
      case 'text':
        content.push({ type: 'output_text', text: part.text, annotations: [] });
        break;
      case 'refusal':
        content.push({ type: 'refusal', refusal: part.text });
        break;
      case 'reasoning':
        if (part.signature === undefined) break;
        flush();
        // No `id`: with `store: false` the API looks an id up in its store and fails ("Items are not
        // persisted when `store` is set to false"); the encrypted content carries the reasoning.
        items.push({
          type: 'reasoning',
          summary: part.text === '' ? [] : [{ type: 'summary_text', text: part.text }],
          encrypted_content: part.signature,
        });
        break;
      case 'tool-call':
        flush();
        items.push({ type: 'function_call', call_id: part.id, name: part.name, arguments: part.arguments });
        break;
    }
  }
  flush();
  return items;
}

function encodeMessage(message: Message, index: number, provider: string): WireItem[] {
  switch (message.role) {
    case 'system':
    case 'developer':
      return [{ type: 'message', role: message.role, content: message.content.map((part) => ({ type: 'input_text', text: part.text })) }];
    case 'user':
      return [{ type: 'message', role: 'user', content: encodeUserContent(message, index, provider) }];
    case 'assistant':
      return encodeAssistant(message);
    case 'tool': {
      const only = message.content.length === 1 ? message.content[0] : undefined;
      // One text part is the string the recordings show; several keep their parts.
      const output = only !== undefined ? only.text : message.content.map((part) => ({ type: 'input_text', text: part.text }));
      return [{ type: 'function_call_output', call_id: message.toolCallId, output }];
    }
  }
}

/**
 * Canonical messages → `instructions` + `input`. A first `system` message becomes `instructions`
 * (the Responses ingress decodes `instructions` into exactly that message); every other system or
 * developer message stays an input message with its role. Message `name`s have no Responses field.
 * @see https://platform.openai.com/docs/guides/conversation-state
 */
export function encodeResponsesInput(messages: Message[], provider: string): ResponsesInput {
  const first = messages[0];
  const leading = first?.role === 'system' ? first : undefined;
  const input = messages.flatMap((message, index) => (message === leading ? [] : encodeMessage(message, index, provider)));
  return leading === undefined ? { input } : { instructions: joinText(leading.content), input };
}
