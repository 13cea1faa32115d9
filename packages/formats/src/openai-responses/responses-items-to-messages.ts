import {
  InvalidRequestError,
  type AssistantPart,
  type Message,
  type ReasoningPart,
  type TextPart,
  type ToolMessage,
  type UserPart,
} from '@gantry/spec';
import { z } from 'zod';
import { formatIssuePath, toInvalidRequestError } from '../format-zod-error.ts';
import { responsesInputItemSchema, type ResponsesInputItem } from './responses-request-schema.ts';
// The encoder writes reasoning with only provider-encrypted data (Anthropic redacted_thinking) with this prefix.
import { REDACTED_REASONING_PREFIX } from './encode-responses-response.ts';
import type { ResponsesItem } from './responses-types.ts';

type MessageItem = Extract<ResponsesInputItem, { type: 'message' }>;
type UserMessageItem = Extract<MessageItem, { role: 'user' }>;
type SystemMessageItem = Extract<MessageItem, { role: 'system' | 'developer' }>;
type AssistantMessageItem = Extract<MessageItem, { role: 'assistant' }>;
type ReasoningItem = Extract<ResponsesInputItem, { type: 'reasoning' }>;
type FunctionCallOutputItem = Extract<ResponsesInputItem, { type: 'function_call_output' }>;
type UserWirePart = Exclude<UserMessageItem['content'], string>[number];

/** Options of `responsesItemsToMessages`. */
export interface ResponsesItemsToMessagesOptions {
  /** The request's `instructions`: a leading system message (never carried over a chain). */
  instructions?: string;
  /** Index in `items` where this request's `input` starts; earlier items are stored ones. */
  inputOffset: number;
}

const inputSchema = z.object({ input: z.array(responsesInputItemSchema) });
const storedSchema = z.array(responsesInputItemSchema);

/**
 * Validates the items: this request's input with 400s naming `input[i]…`; stored items were
 * validated when they were sent or written by Gantry, so a failure there is Gantry's bug.
 */
function parseItems(items: ResponsesItem[], inputOffset: number): ResponsesInputItem[] {
  const stored = storedSchema.safeParse(items.slice(0, inputOffset));
  if (!stored.success) {
    const issue = stored.error.issues[0];
    throw new Error(`a stored item of the previous response chain is not a valid input item: ${formatIssuePath(issue?.path ?? [])}: ${issue?.message ?? ''}`);
  }
  const input = inputSchema.safeParse({ input: items.slice(inputOffset) }, { reportInput: true });
  if (!input.success) throw toInvalidRequestError(input.error, 'responses request');
  return [...stored.data, ...input.data.input];
}

function textParts(content: string | { text: string }[]): TextPart[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content.map((part) => ({ type: 'text', text: part.text }));
}

/**
 * An image by file id is a FilePart (only OpenAI resolves its file ids); its provider options
 * say it was an image, so an OpenAI Responses target can send it back as one.
 */
function userPart(part: UserWirePart): UserPart {
  switch (part.type) {
    case 'input_text':
      return { type: 'text', text: part.text };
    case 'input_image': {
      const detail = part.detail ?? undefined;
      if (part.image_url == null) {
        if (part.file_id == null) throw new Error('input_image without image_url or file_id passed validation');
        return { type: 'file', fileId: part.file_id, providerOptions: { openaiResponses: { type: 'input_image', ...(detail === undefined ? {} : { detail }) } } };
      }
      if (detail === 'original') return { type: 'image', url: part.image_url, providerOptions: { openaiResponses: { detail } } };
      return detail === undefined ? { type: 'image', url: part.image_url } : { type: 'image', url: part.image_url, detail };
    }
    case 'input_file':
      return {
        type: 'file',
        ...(part.file_id == null ? {} : { fileId: part.file_id }),
        ...(part.file_data == null ? {} : { data: part.file_data }),
        ...(part.filename == null ? {} : { filename: part.filename }),
      };
    case 'input_audio':
      return { type: 'audio', data: part.input_audio.data, format: part.input_audio.format };
  }
}

function userMessage(item: UserMessageItem): Message {
  return { role: 'user', content: typeof item.content === 'string' ? [{ type: 'text', text: item.content }] : item.content.map(userPart) };
}

function systemMessage(item: SystemMessageItem): Message {
  return { role: item.role, content: textParts(item.content) };
}

function assistantParts(item: AssistantMessageItem): AssistantPart[] {
  if (typeof item.content === 'string') return [{ type: 'text', text: item.content }];
  return item.content.map((part): AssistantPart => (part.type === 'output_text' ? { type: 'text', text: part.text } : { type: 'refusal', text: part.refusal }));
}

/**
 * Summary texts joined by a blank line (the readable text reasoning models share), or the raw
 * `reasoning_text` content when there is no summary; `encrypted_content` is the signature that
 * must go back unchanged. Undefined when the item carries neither text nor signature.
 */
function reasoningPart(item: ReasoningItem): ReasoningPart | undefined {
  const encrypted = item.encrypted_content ?? undefined;
  if (encrypted?.startsWith(REDACTED_REASONING_PREFIX)) {
    return { type: 'reasoning', text: '', redactedData: encrypted.slice(REDACTED_REASONING_PREFIX.length) };
  }
  const texts = (sources: { text: string }[]): string =>
    sources
      .map((source) => source.text)
      .filter((text) => text !== '')
      .join('\n\n');
  const text = texts(item.summary) || texts(item.content ?? []);
  if (text === '' && encrypted === undefined) return undefined;
  return encrypted === undefined ? { type: 'reasoning', text } : { type: 'reasoning', text, signature: encrypted };
}

function toolMessage(item: FunctionCallOutputItem): ToolMessage {
  return { role: 'tool', toolCallId: item.call_id, content: textParts(item.output) };
}

/**
 * The conversation as canonical messages. `items` are the earlier turns' items (a previous
 * response chain) followed by this request's input, starting at `inputOffset`, with item
 * references already resolved. Consecutive assistant-side items (assistant messages, reasoning,
 * function calls) become one assistant message, in item order: agents send reasoning and several
 * function calls of one turn as separate items.
 *
 * Throws InvalidRequestError naming the input item (`input[2].call_id`) for a function call
 * output whose call id no earlier function call has, and a plain Error for an unresolved
 * `item_reference` or an invalid stored item (the caller's bug).
 * @see https://platform.openai.com/docs/api-reference/responses/create#responses_create-input
 */
export function responsesItemsToMessages(items: ResponsesItem[], options: ResponsesItemsToMessagesOptions): Message[] {
  const parsed = parseItems(items, options.inputOffset);
  const messages: Message[] = [];
  if (options.instructions !== undefined && options.instructions !== '') {
    messages.push({ role: 'system', content: [{ type: 'text', text: options.instructions }] });
  }
  const callIds = new Set<string>();
  let assistant: AssistantPart[] = [];
  const closeAssistantTurn = (): void => {
    if (assistant.length > 0) messages.push({ role: 'assistant', content: assistant });
    assistant = [];
  };
  const where = (index: number): string => (index < options.inputOffset ? 'previous_response_id' : `input[${index - options.inputOffset}]`);

  parsed.forEach((item, index) => {
    switch (item.type) {
      case 'message':
        if (item.role === 'assistant') {
          assistant.push(...assistantParts(item));
          return;
        }
        closeAssistantTurn();
        messages.push(item.role === 'user' ? userMessage(item) : systemMessage(item));
        return;
      case 'reasoning': {
        const part = reasoningPart(item);
        if (part !== undefined) assistant.push(part);
        return;
      }
      case 'function_call':
        callIds.add(item.call_id);
        assistant.push({ type: 'tool-call', id: item.call_id, name: item.name, arguments: item.arguments });
        return;
      case 'function_call_output':
        closeAssistantTurn();
        if (!callIds.has(item.call_id)) {
          const param = index < options.inputOffset ? 'previous_response_id' : `${where(index)}.call_id`;
          // OpenAI's own wording, so clients that match on it keep working.
          throw new InvalidRequestError(`No tool call found for function call output with call_id ${item.call_id}.`, { param });
        }
        messages.push(toolMessage(item));
        return;
      case 'item_reference':
        throw new Error(`${where(index)}: item_reference ${item.id} was not resolved; resolve item references before converting items to messages`);
    }
  });
  closeAssistantTurn();
  return messages;
}
