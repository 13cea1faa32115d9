import { InvalidRequestError, type AssistantPart, type Message, type TextPart, type UserPart } from '@gantry/spec';
import { parseDataUrl } from '../data-url.ts';
import { encodeToolArguments } from '../tool-arguments.ts';
import { withAnthropicExtras } from './anthropic-extras.ts';

type Block = Record<string, unknown>;

export interface AnthropicTurn {
  role: 'user' | 'assistant';
  content: string | Block[];
}

export interface AnthropicConversation {
  /** System and developer text, in order; hoisted because Anthropic takes it top-level. */
  system: Block[];
  messages: AnthropicTurn[];
}

/** @see https://docs.anthropic.com/en/docs/build-with-claude/vision#base64-encoded-image-example */
function imageBlock(url: string, fail: (why: string) => never): Block {
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  const inline = parseDataUrl(url);
  if (inline !== undefined) return { type: 'image', source: { type: 'base64', media_type: inline.mimeType, data: inline.data } };
  return fail('the image URL must be http(s) or a base64 data: URL');
}

/** PDFs only: Anthropic `document` blocks. @see https://docs.anthropic.com/en/docs/build-with-claude/pdf-support */
function documentBlock(part: Extract<UserPart, { type: 'file' }>, fail: (why: string) => never): Block {
  const inline = part.data === undefined ? undefined : parseDataUrl(part.data);
  if (inline?.mimeType !== 'application/pdf') {
    return fail('files must be PDFs given inline as a data:application/pdf;base64 URL (file ids are not portable to Anthropic)');
  }
  const block: Block = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: inline.data } };
  if (part.filename !== undefined) block.title = part.filename;
  return block;
}

function userBlocks(parts: UserPart[], messageIndex: number, provider: string): Block[] {
  return parts.map((part, partIndex) => {
    const param = `messages[${messageIndex}].content[${partIndex}]`;
    const fail = (why: string): never => {
      throw new InvalidRequestError(`${param}: provider ${provider} cannot take this ${part.type} part: ${why}`, { param });
    };
    switch (part.type) {
      case 'text':
        return withAnthropicExtras({ type: 'text', text: part.text }, part);
      case 'image':
        return withAnthropicExtras(imageBlock(part.url, fail), part);
      case 'file':
        return withAnthropicExtras(documentBlock(part, fail), part);
      case 'audio':
        return fail('Anthropic has no audio input; send a transcript as text, or route this request to a model that takes audio');
    }
  });
}

/**
 * Reasoning first, as Anthropic requires of an assistant turn. Only signed reasoning can be replayed:
 * reasoning without a signature or redacted data (from an OpenAI-compatible upstream) is left out,
 * since Anthropic rejects unsigned thinking blocks.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#preserving-thinking-blocks
 */
function assistantBlocks(parts: AssistantPart[]): Block[] {
  const thinking: Block[] = [];
  const rest: Block[] = [];
  for (const part of parts) {
    switch (part.type) {
      case 'reasoning':
        if (part.signature !== undefined) thinking.push({ type: 'thinking', thinking: part.text, signature: part.signature });
        if (part.redactedData !== undefined) thinking.push({ type: 'redacted_thinking', data: part.redactedData });
        break;
      case 'text':
      case 'refusal':
        // Anthropic rejects empty text blocks; OpenAI clients often send `content: ""` beside tool calls.
        if (part.text !== '') rest.push(part.type === 'text' ? withAnthropicExtras({ type: 'text', text: part.text }, part) : { type: 'text', text: part.text });
        break;
      case 'tool-call':
        rest.push(withAnthropicExtras({ type: 'tool_use', id: part.id, name: part.name, input: encodeToolArguments(part.arguments) }, part));
        break;
    }
  }
  return [...thinking, ...rest];
}

function toolResultContent(parts: TextPart[]): string | Block[] {
  const only = parts[0];
  return parts.length === 1 && only && only.providerOptions === undefined ? only.text : parts.map((part) => withAnthropicExtras({ type: 'text', text: part.text }, part));
}

/** One text block without extras is sent as a plain string, the form clients write. */
function compact(blocks: Block[]): string | Block[] {
  const only = blocks[0];
  return blocks.length === 1 && only?.type === 'text' && Object.keys(only).length === 2 ? (only.text as string) : blocks;
}

/**
 * Canonical messages → Anthropic `system` + alternating turns. Tool messages become user-role
 * `tool_result` blocks; consecutive same-role turns are merged (Anthropic requires alternation),
 * and in a merged user turn the tool results come first, as Anthropic requires.
 * @see https://docs.anthropic.com/en/api/messages#body-messages
 */
export function encodeAnthropicMessages(messages: Message[], provider: string): AnthropicConversation {
  const system: Block[] = [];
  const turns: { role: 'user' | 'assistant'; blocks: Block[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]): void => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last !== undefined && last.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks: [...blocks] });
  };
  messages.forEach((message, index) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const part of message.content) system.push(withAnthropicExtras({ type: 'text', text: part.text }, part));
        return;
      case 'user':
        push('user', userBlocks(message.content, index, provider));
        return;
      case 'assistant':
        push('assistant', assistantBlocks(message.content));
        return;
      case 'tool': {
        const block: Block = { type: 'tool_result', tool_use_id: message.toolCallId };
        if (message.content.length > 0) block.content = toolResultContent(message.content);
        if (message.isError === true) block.is_error = true;
        push('user', [withAnthropicExtras(block, message)]);
        return;
      }
    }
  });
  return {
    system,
    messages: turns.map(({ role, blocks }) => {
      const ordered = role === 'user' ? [...blocks.filter((b) => b.type === 'tool_result'), ...blocks.filter((b) => b.type !== 'tool_result')] : blocks;
      return { role, content: compact(ordered) };
    }),
  };
}
