import { describe, expect, it } from 'vitest';
import { openaiChatChunkSchema } from '../src/openai/openai-wire-schemas.ts';
import { readOpenAIChatChunk } from '../src/openai/read-openai-chunk.ts';
import { readFixture } from './load-fixture.ts';
import { jsonChunks } from './replay-openai-stream.ts';

/** Recorded chunks, plus the shapes OpenAI-compatible servers send that the recordings lack. */
const recorded = [...jsonChunks(readFixture('openai/chat-stream-text-usage.sse')), ...jsonChunks(readFixture('openai/chat-stream-parallel-tool_calls-usage.sse'))];
const extra: Record<string, unknown>[] = [
  { id: 'c', choices: [{ index: 0, delta: { reasoning_content: 'r', reasoning: null, refusal: 'no' }, finish_reason: null, logprobs: { content: [] } }] },
  { choices: [{ delta: { tool_calls: [{ id: 'call_1', function: { name: 'f', arguments: '{}' } }] } }] },
  { choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, prompt_tokens_details: { cached_tokens: null }, completion_tokens_details: null } },
  { error: { message: 'overloaded' } },
];

/** Every value reachable in a chunk, by path. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [at];
  const keys = Array.isArray(value) ? value.map((_, index) => index) : Object.keys(value);
  return [at, ...keys.flatMap((key) => paths((value as Record<string | number, unknown>)[key], [...at, key]))];
}

function replaced(chunk: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(chunk) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  if (value === undefined) delete parent[path.at(-1)!];
  else parent[path.at(-1)!] = value;
  return copy;
}

const REPLACEMENTS: unknown[] = [undefined, null, 7, 'text', true, [], {}, [{}], { prompt_tokens: 1 }];

describe('readOpenAIChatChunk: the stream decoder checks chunks without a schema parse', () => {
  it('accepts exactly what openaiChatChunkSchema accepts: every recorded chunk, and each with any one value replaced by any type', () => {
    let compared = 0;
    for (const chunk of [...recorded, ...extra]) {
      for (const path of paths(chunk)) {
        for (const value of REPLACEMENTS) {
          const candidate = replaced(chunk, path, value);
          const expected = openaiChatChunkSchema.safeParse(candidate).success;
          const read = readOpenAIChatChunk(candidate);
          expect({ path: path.join('.'), value, accepted: typeof read !== 'string' }).toEqual({ path: path.join('.'), value, accepted: expected });
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('returns the chunk itself when it is well-formed (no copy), and says where a bad one is wrong', () => {
    const chunk = recorded[1]!;
    expect(readOpenAIChatChunk(chunk)).toBe(chunk);
    expect(readOpenAIChatChunk({ choices: [{ delta: { content: 5 } }] })).toBe('choices[0].delta.content: expected string, received number');
    expect(readOpenAIChatChunk({ usage: { prompt_tokens: '3' } })).toBe('usage.prompt_tokens: expected number, received string');
    expect(readOpenAIChatChunk([])).toBe('expected object, received array');
  });
});
