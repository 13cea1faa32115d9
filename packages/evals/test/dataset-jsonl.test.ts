import { InvalidRequestError } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { datasetJsonlLine, parseDatasetJsonl } from '../src/datasets/dataset-jsonl.ts';
import type { ItemSnapshot } from '../src/eval-types.ts';
import { delegationSnapshot, repeatedSearchSnapshot } from './snapshot-fixtures.ts';

/** A JSONL file of these items, as an export writes it. */
function jsonl(...items: unknown[]): string {
  return items.map(datasetJsonlLine).join('');
}

/** The delegation item after `edit` (which may break its shape with `Object.assign`). */
function edited(edit: (item: ItemSnapshot) => void): unknown {
  const item = delegationSnapshot();
  edit(item);
  return item;
}

/** The error `parseDatasetJsonl` throws for `text`. */
function refusal(text: string): InvalidRequestError {
  try {
    parseDatasetJsonl(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('parseDatasetJsonl accepted the file');
}

describe('dataset JSONL', () => {
  it('writes one line per item and reads the items back equal', () => {
    const items: ItemSnapshot[] = [delegationSnapshot(), repeatedSearchSnapshot()];
    const text = jsonl(...items);
    expect(text.split('\n')).toHaveLength(3);
    expect(text.endsWith('\n')).toBe(true);
    expect(parseDatasetJsonl(text)).toEqual(items);
  });

  it('keeps the items as written, so an export of an import is the same file', () => {
    // Keys in an order of their own: the schema would rewrite them in its order.
    const reordered = Object.fromEntries(Object.entries(delegationSnapshot()).reverse());
    const text = jsonl(reordered, repeatedSearchSnapshot());
    expect(jsonl(...parseDatasetJsonl(text))).toBe(text);
  });

  it('skips blank lines and reads CRLF line ends', () => {
    const text = `\n${JSON.stringify(delegationSnapshot())}\r\n   \r\n${JSON.stringify(repeatedSearchSnapshot())}\r\n\n`;
    expect(parseDatasetJsonl(text).map((item) => item.source.runId)).toEqual(['run_root', 'run_solo']);
  });

  it('names the line and the field of the first problem', () => {
    const bad = edited((item) => {
      item.steps[1]!.request.messages = [];
    });
    const error = refusal(jsonl(delegationSnapshot(), bad));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^invalid dataset: line 2: steps\[1\]\.request\.messages: /);
    expect(error.param).toBe('line 2: steps[1].request.messages');
  });

  it('counts blank lines in the line number', () => {
    const bad = edited((item) => {
      Object.assign(item.tools[0]!, { calledIn: 'zero' });
    });
    const error = refusal(`${JSON.stringify(delegationSnapshot())}\n\n${JSON.stringify(bad)}\n`);
    expect(error.message).toMatch(/^invalid dataset: line 3: tools\[0\]\.calledIn: /);
  });

  it('refuses a snapshot version it does not know, saying which it reads', () => {
    const error = refusal(jsonl(edited((item) => Object.assign(item, { version: 2 }))));
    expect(error.message).toBe('invalid dataset: line 1: version: must be 1 (this Gantry reads snapshot version 1)');
    expect(error.param).toBe('line 1: version');
  });

  it('refuses steps numbered out of order', () => {
    const error = refusal(
      jsonl(
        edited((item) => {
          item.steps[2]!.index = 3;
          item.steps[3]!.index = 2;
        }),
      ),
    );
    expect(error.message).toBe('invalid dataset: line 1: steps[2].index: must be 2 (steps are numbered in order from 0)');
  });

  it('refuses a step made in a run the item does not have', () => {
    const error = refusal(jsonl(edited((item) => (item.steps[1]!.runId = 'run_ghost'))));
    expect(error.message).toBe("invalid dataset: line 1: steps[1].runId: names run 'run_ghost', which is not in runs");
  });

  // Replay creates a run's parent before the run, so the file must list parents first.
  it('refuses runs listed before their parent run', () => {
    const error = refusal(jsonl(edited((item) => item.runs.reverse())));
    expect(error.message).toMatch(/^invalid dataset: line 1: runs\[0\]\.parentRunId: /);
  });

  it('refuses an item without steps, saying why', () => {
    const error = refusal(jsonl(edited((item) => (item.steps = []))));
    expect(error.message).toBe('invalid dataset: line 1: steps: an item needs at least one recorded LLM call to replay');
  });

  it('refuses a line that is not JSON, naming it', () => {
    const error = refusal(`${JSON.stringify(delegationSnapshot())}\n{"version":1,\n`);
    expect(error.message).toMatch(/^invalid dataset: line 2 is not JSON \(.+\); a dataset file holds one item snapshot per line/);
    expect(error.param).toBe('line 2');
  });

  it('refuses a line that is JSON but not an object', () => {
    const error = refusal('[1, 2]\n');
    expect(error.message).toMatch(/^invalid dataset: line 1: /);
  });

  it('refuses an empty file', () => {
    for (const text of ['', '\n\n', '  \r\n']) {
      const error = refusal(text);
      expect(error.message).toBe('invalid dataset: no items; a dataset file holds one item snapshot per line');
      expect(error.param).toBe('body');
    }
  });
});
