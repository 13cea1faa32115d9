import type { AssistantPart } from '@gantry/spec';

type WirePart = Record<string, unknown>;

/**
 * The placeholder Google documents for function calls whose history has no signature (a turn
 * another provider answered, or a client that dropped `reasoning_signature`): Gemini 3 rejects an
 * unsigned first function call of a turn with 400 but accepts this value.
 * @see https://ai.google.dev/gemini-api/docs/thought-signatures
 */
export const GEMINI_SKIP_SIGNATURE_VALIDATION = 'skip_thought_signature_validator';

/**
 * Puts each canonical reasoning signature back on the Gemini part it belongs to, and returns the
 * parts to send (`wire[i]` is the encoding of `parts[i]`, undefined when it has no wire form).
 *
 * The decoder (decode-gemini-part.ts) carries a signature that Gemini put on a `functionCall` or
 * `text` part as a reasoning part with empty text just before it. On the way back that position
 * can have moved: stream folding merges it into a preceding thought, and the OpenAI wire keeps one
 * `reasoning_signature` per message, decoded as a reasoning part at the front. Hence the rules:
 * 1. If a tool call follows, the signature goes on the first following `functionCall` without one
 *    (Gemini validates signatures on function calls; the first call of a step carries it).
 * 2. Otherwise an empty-text carrier gives it to the next part, when that is text.
 * 3. Otherwise it stays where it is: on the thought part, or on an empty text part of its own —
 *    the shape Gemini itself uses for a trailing signature.
 * 4. A turn whose first function call is still unsigned gets GEMINI_SKIP_SIGNATURE_VALIDATION there.
 * @see https://ai.google.dev/gemini-api/docs/thought-signatures
 */
export function placeThoughtSignatures(parts: AssistantPart[], wire: (WirePart | undefined)[]): WirePart[] {
  parts.forEach((part, position) => {
    if (part.type !== 'reasoning' || part.signature === undefined) return;
    const target = signatureTarget(parts, wire, position);
    if (target !== undefined) target.thoughtSignature = part.signature;
    else wire[position] = part.text === '' ? { text: '', thoughtSignature: part.signature } : { text: part.text, thought: true, thoughtSignature: part.signature };
  });
  const firstCall = wire[parts.findIndex((part) => part.type === 'tool-call')];
  if (firstCall !== undefined && firstCall.thoughtSignature === undefined) firstCall.thoughtSignature = GEMINI_SKIP_SIGNATURE_VALIDATION;
  return wire.filter((part): part is WirePart => part !== undefined);
}

function signatureTarget(parts: AssistantPart[], wire: (WirePart | undefined)[], position: number): WirePart | undefined {
  const later = parts.map((part, index) => ({ part, index, wire: wire[index] })).slice(position + 1);
  const calls = later.filter(({ part }) => part.type === 'tool-call');
  if (calls.length > 0) return calls.find((call) => call.wire?.thoughtSignature === undefined)?.wire;
  if ((parts[position] as { text?: string } | undefined)?.text !== '') return undefined;
  const next = later.find((entry) => entry.wire !== undefined);
  const isText = next?.part.type === 'text' || next?.part.type === 'refusal';
  return isText && next?.wire?.thoughtSignature === undefined ? next.wire : undefined;
}
