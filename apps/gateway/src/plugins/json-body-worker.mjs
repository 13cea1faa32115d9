import secureJson from 'secure-json-parse';
import { MAX_BODY_DEPTH, tooDeepPath } from './json-depth-scan.mjs';

/*
 * Parses one large JSON request body off the event loop (json-body-parser.ts): decoding, the
 * nesting-depth scan and JSON.parse of megabytes would otherwise hold every tenant's calls.
 * Exactly what the gateway does on the event loop for small bodies; prototype poisoning is refused
 * as fastify refuses it.
 */
const options = { protoAction: 'error', constructorAction: 'error' };

/** @param {Uint8Array[]} chunks the body as it was read, joined here rather than on the event loop */
export default function parseJsonBody(chunks) {
  const text = Buffer.concat(chunks).toString('utf8');
  const tooDeep = tooDeepPath(text, MAX_BODY_DEPTH);
  if (tooDeep !== undefined) return { tooDeep };
  try {
    return { value: secureJson.parse(text, undefined, options) };
  } catch {
    return { invalid: true };
  }
}
