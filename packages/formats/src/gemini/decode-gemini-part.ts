import { randomUUID } from 'node:crypto';
import type { AssistantPart } from '@gantry/spec';
import { decodeToolArguments } from '../tool-arguments.ts';
import type { GeminiPart } from './gemini-wire-schemas.ts';

/** A tool call id for Gemini function calls, which carry none (`call_` + 24 hex digits). */
export function generateToolCallId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

/**
 * One Gemini response part → canonical assistant parts, in order.
 *
 * Thought signatures: a `thought` part keeps its own signature on its reasoning part. A signature
 * on any other part (a `functionCall`, a `text`) becomes a reasoning part with empty text and that
 * signature placed immediately before the part it came with — the canonical model has no
 * signature field on tool calls or text. `encodeGeminiRequest` puts it back on the part it belongs
 * to (see place-thought-signatures.ts).
 * @see https://ai.google.dev/gemini-api/docs/thought-signatures
 */
export function decodeGeminiPart(part: GeminiPart): AssistantPart[] {
  const signature = part.thoughtSignature;
  if (part.thought === true) {
    if ((part.text ?? '') === '' && signature === undefined) return [];
    return [signature === undefined ? { type: 'reasoning', text: part.text ?? '' } : { type: 'reasoning', text: part.text ?? '', signature }];
  }
  const parts: AssistantPart[] = signature === undefined ? [] : [{ type: 'reasoning', text: '', signature }];
  if (part.functionCall !== undefined) {
    const call = part.functionCall;
    parts.push({ type: 'tool-call', id: call.id ?? generateToolCallId(), name: call.name, arguments: decodeToolArguments(call.args) });
  } else if (part.text !== undefined) {
    if (part.text !== '') parts.push({ type: 'text', text: part.text });
  } else if (part.executableCode !== undefined) {
    // Code the built-in code execution tool ran: shown as text so that it is not lost.
    const language = (part.executableCode.language ?? '').toLowerCase().replace('language_unspecified', '');
    parts.push({ type: 'text', text: `\n\`\`\`${language}\n${part.executableCode.code}\n\`\`\`\n` });
  } else if (part.codeExecutionResult !== undefined) {
    parts.push({ type: 'text', text: `\n\`\`\`\n${part.codeExecutionResult.output ?? ''}\n\`\`\`\n` });
  }
  return parts;
}
