import { storeChatRequest, storeChatResult, type ChatRequest, type ChatResult } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import {
  firstOfEachPrompt,
  formatTrafficSource,
  parsePairsJsonl,
  parseTrafficSource,
  trafficPairsJsonl,
  trafficPromptOf,
  trafficScoredPairs,
  type JudgedTrafficPair,
} from '../src/calibration/index.ts';

const text = (value: string) => [{ type: 'text' as const, text: value }];

function request(messages: ChatRequest['messages'], extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'fast', stream: false, includeUsage: false, messages, ...extra };
}

function result(answer: string, finishReason: ChatResult['choices'][number]['finishReason'] = 'stop'): ChatResult {
  return { id: 'r', model: 'm', created: 1, choices: [{ index: 0, content: text(answer), finishReason }] };
}

function pair(model: string, index: number, same = true): JudgedTrafficPair {
  return { spanId: `new-${model}-${index}`, earlierSpanId: `old-${model}`, prompt: `p ${index}`, earlierPrompt: 'p', model, similarity: 0.9, same };
}

describe('traffic prompts', () => {
  const system = { role: 'system' as const, content: text('You convert units.') };

  it('reads a recorded first turn as its last user message and partition, and its answer', () => {
    const stored = { request: storeChatRequest(request([system, { role: 'user', content: text('10 miles in km?') }])), result: storeChatResult(result('16.09 km')) };
    const prompt = trafficPromptOf(stored, ['local/llama3'])!;
    expect(prompt).toMatchObject({ text: '10 miles in km?', answer: { choices: [{ content: text('16.09 km') }] } });
    expect(prompt.answer).not.toHaveProperty('type');
    expect(prompt.request).not.toHaveProperty('version');
    const streamed = { ...stored, request: storeChatRequest(request([system, { role: 'user', content: text('5 ft in m?') }], { stream: true, user: 'u1' })) };
    // Streaming and the end user do not change the partition; the targets do.
    expect(trafficPromptOf(streamed, ['local/llama3'])!.partition).toBe(prompt.partition);
    expect(trafficPromptOf(stored, ['local/other'])!.partition).not.toBe(prompt.partition);
  });

  it('leaves out what the semantic cache never looks up or keeps', () => {
    const user = { role: 'user' as const, content: text('10 miles in km?') };
    const later = request([system, user, { role: 'assistant', content: text('16.09 km') }, { role: 'user', content: text('and 20?') }]);
    expect(trafficPromptOf({ request: storeChatRequest(later), result: storeChatResult(result('32 km')) }, [])).toBeUndefined();
    expect(trafficPromptOf({ request: storeChatRequest(request([system, user])), result: storeChatResult(result('16', 'error')) }, [])).toBeUndefined();
    expect(trafficPromptOf({ request: { name: 'convert', arguments: '{}' }, result: null }, [])).toBeUndefined();
  });

  it('keeps the first of each text in its partition', () => {
    const items = [
      { text: 'a', partition: '1', at: 1 },
      { text: 'a', partition: '2', at: 2 },
      { text: 'a', partition: '1', at: 3 },
      { text: 'b', partition: '1', at: 4 },
    ];
    expect(firstOfEachPrompt(items).map((item) => item.at)).toEqual([1, 2, 4]);
  });
});

describe('traffic pairs', () => {
  it('scores each earlier prompt as one entry keyed by its span, kinded by model', () => {
    const scored = trafficScoredPairs([pair('fast', 1), pair('fast', 2, false), pair('smart', 1)]);
    expect(scored.map(({ a, b, same, kind }) => ({ a, b, same, kind }))).toEqual([
      { a: 'old-fast', b: 'new-fast-1', same: true, kind: 'fast' },
      { a: 'old-fast', b: 'new-fast-2', same: false, kind: 'fast' },
      { a: 'old-smart', b: 'new-smart-1', same: true, kind: 'smart' },
    ]);
  });

  it('keeps to 50 kinds: the least asked models share one', () => {
    const pairs = Array.from({ length: 60 }, (_, model) => Array.from({ length: model < 10 ? 3 : 1 }, (__, index) => pair(`model-${String(model).padStart(2, '0')}`, index))).flat();
    const kinds = new Set(trafficScoredPairs(pairs).map((each) => each.kind));
    expect(kinds.size).toBe(50);
    expect(kinds).toContain('model-00');
    expect(kinds).toContain('other models');
  });

  it('writes JSON Lines that read back as --pairs', () => {
    const lines = trafficPairsJsonl([pair('fast', 1), pair('fast', 2, false)]);
    expect(parsePairsJsonl(lines)).toEqual([
      { a: 'p', b: 'p 1', same: true, kind: 'fast' },
      { a: 'p', b: 'p 2', same: false, kind: 'fast' },
    ]);
    expect(JSON.parse(lines.split('\n')[0]!)).toMatchObject({ similarity: 0.9, a_span_id: 'old-fast', b_span_id: 'new-fast-1' });
    expect(trafficPairsJsonl([])).toBe('');
  });
});

describe('traffic source', () => {
  it('names the window and the labelling, and reads them back', () => {
    const source = { since: '2026-01-01T00:00:00.000Z', until: '2026-01-08T00:00:00.000Z', judge: 'llm' as const, judgeModel: 'local/odd;name%', replay: true };
    const written = formatTrafficSource(source);
    expect(written).toBe('traffic:2026-01-01T00:00:00.000Z/2026-01-08T00:00:00.000Z;judge=llm;judge_model=local/odd%3Bname%25;replay');
    expect(parseTrafficSource(written)).toEqual(source);
    expect(parseTrafficSource(formatTrafficSource({ ...source, judge: 'exact', judgeModel: null, replay: false }))).toEqual({ ...source, judge: 'exact', judgeModel: null, replay: false });
  });

  it('reads other sources, and sources it did not write, as none', () => {
    for (const other of ['pairs:evals/cache-calibration.jsonl', 'traffic:', 'traffic:yesterday/today;judge=exact', 'traffic:2026-01-01/2026-01-02;judge=vibes', 'traffic:2026-01-01/2026-01-02']) {
      expect(parseTrafficSource(other), other).toBeUndefined();
    }
  });
});
