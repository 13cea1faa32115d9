import type { AssistantPart, ChatResult, FinishReason } from '@gantry/spec';
import { describe, expect, it, vi } from 'vitest';
import { compareAnswers, compareAnswersWith } from '../src/scores/compare-answers.ts';
import { compareToolArguments } from '../src/scores/compare-tool-arguments.ts';
import { scoreStep } from '../src/scores/score-step.ts';
import { actionOf } from '../src/scores/step-action.ts';

function result(content: AssistantPart[], finishReason: FinishReason): ChatResult {
  return { id: 'r', model: 'm', created: 0, choices: [{ index: 0, content, finishReason }] };
}

let nextCallId = 0;
function call(name: string, args: unknown): AssistantPart {
  nextCallId += 1;
  return { type: 'tool-call', id: `call_${nextCallId}`, name, arguments: JSON.stringify(args) };
}

function calls(...parts: AssistantPart[]): ChatResult {
  return result(parts, 'tool-calls');
}

function text(answer: string, finishReason: FinishReason = 'stop'): ChatResult {
  return result([{ type: 'text', text: answer }], finishReason);
}

describe('actionOf', () => {
  it('classes an answer with tool-call parts as tool-calls even when the provider said stop', () => {
    const action = actionOf(result([{ type: 'text', text: 'Let me look. ' }, call('search', { q: 'x' })], 'stop'));
    expect(action).toEqual({
      finish: 'tool-calls',
      toolCalls: [{ name: 'search', arguments: '{"q":"x"}' }],
      text: 'Let me look. ',
    });
  });

  it('joins the text parts and maps finish reasons to classes', () => {
    const parts: AssistantPart[] = [
      { type: 'text', text: 'Hello, ' },
      { type: 'reasoning', text: 'hmm' },
      { type: 'text', text: 'world' },
    ];
    const answer = result(parts, 'stop');
    expect(actionOf(answer)).toEqual({ finish: 'text', toolCalls: [], text: 'Hello, world' });
    expect(actionOf(text('cut', 'length')).finish).toBe('length');
    expect(actionOf(text('', 'content-filter')).finish).toBe('content-filter');
  });

  it('reads a missing choice as finish other with nothing said', () => {
    expect(actionOf(text('hi'), 1)).toEqual({ finish: 'other', toolCalls: [], text: '' });
  });
});

describe('compareToolArguments', () => {
  it('ignores key order and compares numbers by value', () => {
    expect(compareToolArguments('{"a":1,"b":2}', '{"b":2,"a":1.0}')).toEqual({
      score: 1,
      equal: true,
      differences: [],
      differingPaths: [],
    });
  });

  it('scores the fraction of equal leaf paths over the union of both sides', () => {
    const changed = compareToolArguments('{"q":"cats","n":5}', '{"n":5,"q":"dogs"}');
    expect(changed.score).toBe(0.5);
    expect(changed.differingPaths).toEqual(['q']);
    expect(changed.differences).toEqual([{ path: 'q', recorded: 'cats', candidate: 'dogs' }]);
    const added = compareToolArguments('{"a":1}', '{"a":1,"b":{"c":[1,2]}}');
    expect(added.score).toBeCloseTo(1 / 3);
    expect(added.differingPaths).toEqual(['b.c[0]', 'b.c[1]']);
  });

  it('names nested and odd paths', () => {
    const comparison = compareToolArguments(
      '{"items":[{"id":1},{"id":2}],"my key":true}',
      '{"items":[{"id":1},{"id":3}],"my key":false}',
    );
    expect(comparison.differingPaths).toEqual(['items[1].id', '["my key"]']);
    expect(comparison.score).toBeCloseTo(1 / 3);
  });

  it('tells empty containers apart and from missing values', () => {
    expect(compareToolArguments('{"a":{}}', '{"a":[]}').equal).toBe(false);
    expect(compareToolArguments('{"a":{}}', '{}').differingPaths).toEqual(['a']);
    expect(compareToolArguments('{"a":null}', '{}').equal).toBe(false);
    expect(compareToolArguments('{}', '[]')).toMatchObject({ score: 0, differingPaths: ['$'] });
    expect(compareToolArguments('{}', '{ }')).toMatchObject({ score: 1, equal: true });
  });

  it('leaves ignored paths out: plain, indexed and wildcard', () => {
    const rules = { ignore: ['trace_id', 'items[*].ts', 'pages[0]'] };
    const recorded = '{"q":"x","trace_id":"t1","items":[{"id":1,"ts":5},{"id":2,"ts":6}],"pages":[1,2]}';
    const candidate = '{"q":"x","trace_id":"t2","items":[{"id":1,"ts":9},{"id":2,"ts":7}],"pages":[9,2]}';
    expect(compareToolArguments(recorded, candidate, rules).equal).toBe(true);
    expect(compareToolArguments(recorded, candidate).differingPaths).toEqual([
      'trace_id',
      'items[0].ts',
      'items[1].ts',
      'pages[0]',
    ]);
    // Only the ignored field differs: an object emptied by ignoring compares as an empty object.
    expect(compareToolArguments('{"o":{}}', '{"o":{"t":1}}', { ignore: ['o.t'] }).equal).toBe(true);
    expect(compareToolArguments('{"o":{"a":1,"b":2}}', '{"o":{"a":5,"b":2}}', { ignore: ['o.*'] }).equal).toBe(true);
  });

  it('refuses an ignore path it cannot read', () => {
    expect(() => compareToolArguments('{}', '{}', { ignore: ['a..b'] })).toThrow(/invalid ignore path "a\.\.b"/);
    expect(() => compareToolArguments('{}', '{}', { ignore: ['a[x]'] })).toThrow(/invalid ignore path/);
  });

  it('fills defaults for missing top-level arguments on both sides', () => {
    const rules = { defaults: { limit: 10, safe: true } };
    expect(compareToolArguments('{"q":"x"}', '{"q":"x","limit":10}', rules).equal).toBe(true);
    expect(compareToolArguments('{"q":"x","safe":true}', '{"q":"x"}', rules).equal).toBe(true);
    expect(compareToolArguments('{"q":"x"}', '{"q":"x","limit":20}', rules).differingPaths).toEqual(['limit']);
    expect(compareToolArguments('{"q":"x"}', '{"q":"x","limit":10}').equal).toBe(false);
  });

  it('compares invalid JSON by its text, and reads blank arguments as {}', () => {
    expect(compareToolArguments('{oops', '{oops')).toMatchObject({ score: 1, equal: true });
    expect(compareToolArguments('{oops', '{"a":1}')).toMatchObject({ score: 0, equal: false, differingPaths: ['$'] });
    expect(compareToolArguments('', '{}').equal).toBe(true);
  });
});

describe('compareAnswers', () => {
  it('rung exact: trims, collapses whitespace, case-folds and drops trailing punctuation', () => {
    expect(compareAnswers('The capital is  Paris.', '  the capital is\nparis!! ')).toEqual({ score: 1, method: 'exact' });
  });

  it('rung numeric: thousands separators, percentages and the relative tolerance', () => {
    expect(compareAnswers('1,234.5', '1234.50')).toEqual({ score: 1, method: 'numeric' });
    expect(compareAnswers('42%', '0.42')).toEqual({ score: 1, method: 'numeric' });
    expect(compareAnswers('41', '42')).toEqual({ score: 0, method: 'numeric' });
    expect(compareAnswers('100', '100.00001')).toEqual({ score: 1, method: 'numeric' });
    expect(compareAnswers('100', '100.1')).toEqual({ score: 0, method: 'numeric' });
    expect(compareAnswers('100', '100.1', { numericTolerance: 0.01 })).toEqual({ score: 1, method: 'numeric' });
    expect(compareAnswers('-3', '\u22123.0')).toEqual({ score: 1, method: 'numeric' });
  });

  it('rung json: canonical equality, fenced JSON, and partial credit by leaf paths', () => {
    expect(compareAnswers('{"a":1,"b":[1,2]}', '```json\n{"b": [1, 2], "a": 1.0}\n```')).toEqual({
      score: 1,
      method: 'json',
    });
    expect(compareAnswers('{"a":1,"b":2}', '{"a":1,"b":3}')).toEqual({ score: 0.5, method: 'json' });
  });

  it('ends in different when no rung applies', () => {
    expect(compareAnswers('Paris', 'Lyon')).toEqual({ score: 0, method: 'different' });
    expect(compareAnswers('42', 'forty-two')).toEqual({ score: 0, method: 'different' });
  });

  it('asks the further rung only when the deterministic ladder ended in different', async () => {
    const judge = vi.fn(async () => ({ score: 0.9, method: 'judge' as const }));
    expect(await compareAnswersWith('42', 'forty-two', {}, judge)).toEqual({ score: 0.9, method: 'judge' });
    expect(await compareAnswersWith('41', '42', {}, judge)).toEqual({ score: 0, method: 'numeric' });
    expect(await compareAnswersWith('Paris', 'paris', {}, judge)).toEqual({ score: 1, method: 'exact' });
    expect(judge).toHaveBeenCalledTimes(1);
    expect(await compareAnswersWith('a', 'b', {}, async () => undefined)).toEqual({ score: 0, method: 'different' });
  });
});

describe('scoreStep', () => {
  it('scores a parallel batch made in another order as the same choice', () => {
    const recorded = calls(call('web_search', { q: 'a' }), call('read_notes', { id: 1 }), call('web_search', { q: 'b' }));
    const candidate = calls(call('web_search', { q: 'b' }), call('web_search', { q: 'a' }), call('read_notes', { id: 1 }));
    expect(scoreStep(recorded, candidate)).toEqual({
      toolChoice: 1,
      toolArguments: 1,
      answer: null,
      answerMethod: null,
      pass: true,
      differences: [],
    });
  });

  it('pairs repeated tool names for the best total, not by position', () => {
    const recorded = calls(call('search', { q: 'a', n: 1 }), call('search', { q: 'b', n: 1 }));
    const candidate = calls(call('search', { q: 'b', n: 2 }), call('search', { q: 'a', n: 1 }));
    const score = scoreStep(recorded, candidate);
    // Paired (a,a) = 1 and (b,b) = 0.5; by position it would be 0 and 0.5.
    expect(score.toolArguments).toBe(0.75);
    expect(score.pass).toBe(false);
    expect(score.differences).toEqual(['arguments of search (call 2): n: 1 vs 2']);
  });

  it('names the tools when the choice differs, and scores unpaired calls 0', () => {
    const recorded = calls(call('web_search', { q: 'a' }), call('web_search', { q: 'b' }));
    const candidate = calls(call('read_notes', {}));
    const score = scoreStep(recorded, candidate);
    expect(score).toMatchObject({ toolChoice: 0, toolArguments: 0, pass: false });
    expect(score.differences).toEqual(['tool choice: recorded [web_search×2], candidate [read_notes]']);
    const missingOne = scoreStep(calls(call('search', { q: 'a' }), call('read', {})), calls(call('search', { q: 'a' })));
    expect(missingOne).toMatchObject({ toolChoice: 0, toolArguments: 0.5 });
  });

  it('fails a tool call answered with text, and different finish classes', () => {
    expect(scoreStep(calls(call('search', {})), text('I do not know'))).toMatchObject({
      toolChoice: 0,
      toolArguments: 0,
      answer: null,
      differences: ['tool choice: recorded [search], candidate no tool (text)'],
    });
    const truncated = scoreStep(text('A long answer'), text('A long', 'length'));
    expect(truncated.toolChoice).toBe(0);
    expect(truncated.differences[0]).toBe('finish: recorded text, candidate length');
  });

  it('applies per-tool argument rules from the options', () => {
    const recorded = calls(call('search', { q: 'a', trace: 1 }));
    const candidate = calls(call('search', { q: 'a', trace: 2 }));
    expect(scoreStep(recorded, candidate).toolArguments).toBe(0.5);
    expect(scoreStep(recorded, candidate, { toolArguments: { search: { ignore: ['trace'] } } }).pass).toBe(true);
  });

  it('compares text answers with the ladder and the threshold', () => {
    expect(scoreStep(text('Paris.'), text('paris'))).toMatchObject({ answer: 1, answerMethod: 'exact', pass: true });
    const partial = scoreStep(text('{"a":1,"b":2}'), text('{"a":1,"b":3}'));
    expect(partial).toMatchObject({ answer: 0.5, answerMethod: 'json', pass: false });
    expect(scoreStep(text('{"a":1,"b":2}'), text('{"a":1,"b":3}'), { answerThreshold: 0.5 }).pass).toBe(true);
  });

  it('quotes both answers, cut to 120 characters, when they differ', () => {
    const long = 'x'.repeat(300);
    const score = scoreStep(text('Paris'), text(long));
    expect(score).toMatchObject({ answer: 0, answerMethod: 'different', pass: false });
    expect(score.differences).toEqual([
      `answer (different, score 0.00): recorded "Paris" vs candidate "${'x'.repeat(119)}…"`,
    ]);
  });
});
