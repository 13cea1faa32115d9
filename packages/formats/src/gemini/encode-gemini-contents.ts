import { InvalidRequestError, type AssistantPart, type Message, type UserPart } from '@gantry/spec';
import { parseDataUrl } from '../data-url.ts';
import { encodeToolArguments } from '../tool-arguments.ts';
import { placeThoughtSignatures } from './place-thought-signatures.ts';

export type GeminiWirePart = Record<string, unknown>;
export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiWirePart[];
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
  txt: 'text/plain',
  wav: 'audio/wav',
  mp3: 'audio/mp3',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  mp4: 'video/mp4',
  webm: 'video/webm',
};

/** The MIME type a URL or file name implies by its extension; `fallback` when it names none. */
export function guessMimeType(name: string, fallback: string): string {
  const path = name.split(/[?#]/)[0] ?? '';
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (extension === undefined ? undefined : MIME_BY_EXTENSION[extension]) ?? fallback;
}

/**
 * A media reference: `data:` URLs travel inline; other URLs (File API `https://…/files/…`,
 * `gs://…`, public `https://…`) as fileData with a MIME type guessed from the extension.
 * @see https://ai.google.dev/api/caching#Part
 */
function mediaPart(url: string, fallbackMime: string): GeminiWirePart {
  const inline = parseDataUrl(url);
  if (inline !== undefined) return { inlineData: { mimeType: inline.mimeType, data: inline.data } };
  return { fileData: { fileUri: url, mimeType: guessMimeType(url, fallbackMime) } };
}

function encodeUserPart(part: UserPart, param: string): GeminiWirePart {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'image':
      return mediaPart(part.url, 'image/jpeg');
    case 'audio':
      return { inlineData: { mimeType: `audio/${part.format}`, data: part.data } };
    case 'file': {
      const fallback = guessMimeType(part.filename ?? '', 'application/pdf');
      if (part.data !== undefined) return parseDataUrl(part.data) === undefined ? { inlineData: { mimeType: fallback, data: part.data } } : mediaPart(part.data, fallback);
      if (part.fileId !== undefined && /^(https?|gs):\/\//.test(part.fileId)) return mediaPart(part.fileId, fallback);
      throw new InvalidRequestError(`gemini accepts files as inline data or a File API URI; file id ${JSON.stringify(part.fileId)} is neither`, { param });
    }
  }
}

function encodeAssistantParts(parts: AssistantPart[]): GeminiWirePart[] {
  const wire = parts.map((part): GeminiWirePart | undefined => {
    switch (part.type) {
      case 'text':
      case 'refusal':
        return part.text === '' ? undefined : { text: part.text };
      case 'reasoning':
        return part.text === '' ? undefined : { text: part.text, thought: true };
      case 'tool-call':
        return { functionCall: { name: part.name, args: encodeToolArguments(part.arguments) } };
    }
  });
  return placeThoughtSignatures(parts, wire);
}

/** A tool result → `functionResponse.response`: a JSON object as is, anything else as `{content: text}`. */
function functionResponse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // plain text result
  }
  return { content: text };
}

/**
 * Canonical messages → `systemInstruction` and `contents`. System and developer messages are
 * hoisted into `systemInstruction` wherever they appear (Gemini has no system turn); consecutive
 * tool messages become one user turn of `functionResponse` parts, named after the tool call they
 * answer (Gemini matches responses by name, and sends no call ids).
 * @see https://ai.google.dev/api/generate-content#request-body
 */
export function encodeGeminiContents(messages: Message[]): { systemInstruction?: { parts: GeminiWirePart[] }; contents: GeminiContent[] } {
  const toolNames = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== 'assistant') continue;
    for (const part of message.content) if (part.type === 'tool-call') toolNames.set(part.id, part.name);
  }
  const system: GeminiWirePart[] = [];
  const contents: GeminiContent[] = [];
  messages.forEach((message, position) => {
    const param = `messages[${position}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const part of message.content) system.push({ text: part.text });
        return;
      case 'user':
        contents.push({ role: 'user', parts: message.content.map((part, index) => encodeUserPart(part, `${param}.content[${index}]`)) });
        return;
      case 'assistant': {
        const parts = encodeAssistantParts(message.content);
        // An assistant message with nothing Gemini can carry is left out rather than sent empty.
        if (parts.length > 0) contents.push({ role: 'model', parts });
        return;
      }
      case 'tool': {
        const name = toolNames.get(message.toolCallId);
        if (name === undefined) {
          throw new InvalidRequestError(
            `tool message answers tool call ${JSON.stringify(message.toolCallId)}, which no earlier assistant message made; gemini needs the function name, so send the assistant message with that tool call`,
            { param: `${param}.tool_call_id` },
          );
        }
        const part = { functionResponse: { name, response: functionResponse(message.content.map((text) => text.text).join('')) } };
        const previous = contents.at(-1);
        if (previous?.role === 'user' && previous.parts.every((wire) => 'functionResponse' in wire)) previous.parts.push(part);
        else contents.push({ role: 'user', parts: [part] });
        return;
      }
    }
  });
  return system.length > 0 ? { systemInstruction: { parts: system }, contents } : { contents };
}
