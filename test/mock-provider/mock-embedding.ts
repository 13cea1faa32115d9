import { DEFAULT_EMBEDDING_DIMENSIONS } from './mock-step.ts';

/**
 * Deterministic unit-length vectors: the same input text always gives the same vector, different
 * texts give different ones, so cache and dedupe tests can compare embeddings.
 */
export function embedText(text: string, dimensions: number): number[] {
  // FNV-1a seeds a mulberry32 generator
  let seed = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    seed ^= text.charCodeAt(index);
    seed = Math.imul(seed, 0x01000193);
  }
  const values: number[] = new Array<number>(dimensions);
  let norm = 0;
  for (let index = 0; index < dimensions; index += 1) {
    seed = (seed + 0x6d2b79f5) | 0;
    let mixed = Math.imul(seed ^ (seed >>> 15), seed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    const value = ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296 - 0.5;
    values[index] = value;
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  // float32 precision, as the real APIs return
  for (let index = 0; index < dimensions; index += 1) values[index] = Math.fround((values[index] ?? 0) * scale);
  return values;
}

/** Base64 of the vector as little-endian float32, OpenAI's `encoding_format: "base64"`. */
export function encodeBase64(values: number[]): string {
  const buffer = Buffer.alloc(values.length * 4);
  for (let index = 0; index < values.length; index += 1) buffer.writeFloatLE(values[index] ?? 0, index * 4);
  return buffer.toString('base64');
}

/** A positive dimension count from the step, then the request, then the default. */
export function pickDimensions(...candidates: unknown[]): number {
  for (const candidate of candidates) {
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate > 0) return candidate;
  }
  return DEFAULT_EMBEDDING_DIMENSIONS;
}
