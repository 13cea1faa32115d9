import { z } from 'zod';
import { InvalidRequestError } from '@gantry/spec';
import { SNAPSHOT_VERSION, type ItemSnapshot } from '../eval-types.ts';

/**
 * A dataset as JSON Lines: one item snapshot per line, so datasets live in git beside the agent's
 * code and diff line by line. Import checks each line's shape (the canonical request and result
 * are checked for the fields replay reads) and names the line and field of the first problem.
 */

const snapshotRun = z.object({
  id: z.string().min(1),
  parentRunId: z.string().nullable(),
  parentToolCallId: z.string().nullable(),
  name: z.string().nullable(),
  depth: z.number().int().min(0),
  status: z.string(),
});

const chatRequest = z.looseObject({
  model: z.string(),
  messages: z.array(z.looseObject({ role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']) })).min(1),
  stream: z.boolean(),
  includeUsage: z.boolean(),
});

const chatResult = z.looseObject({
  id: z.string(),
  model: z.string(),
  choices: z.array(z.looseObject({ index: z.number().int(), content: z.array(z.looseObject({ type: z.string() })), finishReason: z.string() })).min(1),
});

const snapshotStep = z.object({
  index: z.number().int().min(0),
  runId: z.string(),
  spanId: z.string(),
  model: z.string(),
  target: z.string().nullable(),
  request: chatRequest,
  result: chatResult,
  costMicros: z.number().int().min(0),
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  latencyMs: z.number().min(0),
  ttftMs: z.number().min(0).nullable(),
});

const snapshotTool = z.object({
  runId: z.string(),
  toolCallId: z.string(),
  name: z.string(),
  arguments: z.string(),
  output: z.string().nullable(),
  calledIn: z.number().int().min(0),
  childRunId: z.string().nullable(),
});

const itemSnapshot = z
  .object({
    version: z.literal(SNAPSHOT_VERSION, { error: `must be ${SNAPSHOT_VERSION} (this Gantry reads snapshot version ${SNAPSHOT_VERSION})` }),
    source: z.object({
      runId: z.string().min(1),
      name: z.string().nullable(),
      apiKeyId: z.string().nullable(),
      teamId: z.string().nullable(),
      status: z.string(),
      startedAt: z.string(),
      costMicros: z.number().int().min(0),
    }),
    runs: z.array(snapshotRun).min(1),
    steps: z.array(snapshotStep).min(1, 'an item needs at least one recorded LLM call to replay'),
    tools: z.array(snapshotTool),
  })
  .superRefine((item, context) => {
    const runIds = new Set(item.runs.map((run) => run.id));
    // Root first, every run after its parent: replay creates a run's parent before the run.
    const seen = new Set<string>();
    item.runs.forEach((run, index) => {
      if (run.parentRunId !== null && !seen.has(run.parentRunId)) context.addIssue({ code: 'custom', path: ['runs', index, 'parentRunId'], message: `names run '${run.parentRunId}', which is not listed before it (runs are listed parents first)` });
      seen.add(run.id);
    });
    if (item.runs[0]?.id !== item.source.runId) context.addIssue({ code: 'custom', path: ['runs', 0, 'id'], message: `must be the source run '${item.source.runId}' (runs are listed root first)` });

    item.steps.forEach((step, index) => {
      if (step.index !== index) context.addIssue({ code: 'custom', path: ['steps', index, 'index'], message: `must be ${index} (steps are numbered in order from 0)` });
      if (!runIds.has(step.runId)) context.addIssue({ code: 'custom', path: ['steps', index, 'runId'], message: `names run '${step.runId}', which is not in runs` });
    });
  });

function pathOf(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
}

/** Parses a JSONL dataset: one snapshot per non-blank line; a 400 names the first bad line and field. */
export function parseDatasetJsonl(text: string): ItemSnapshot[] {
  const items: ItemSnapshot[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new InvalidRequestError(`invalid dataset: line ${index + 1} is not JSON (${(error as Error).message}); a dataset file holds one item snapshot per line, as GET /v1/datasets/:name/export writes it`, { param: `line ${index + 1}` });
    }
    const parsed = itemSnapshot.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = pathOf(issue.path);
      throw new InvalidRequestError(`invalid dataset: line ${index + 1}: ${path === '' ? '' : `${path}: `}${issue.message}`, { param: `line ${index + 1}${path === '' ? '' : `: ${path}`}` });
    }
    // The line as written (the schema's output reorders keys): an export of an import is the file itself.
    items.push(value as ItemSnapshot);
  }
  if (items.length === 0) throw new InvalidRequestError('invalid dataset: no items; a dataset file holds one item snapshot per line', { param: 'body' });
  return items;
}

/** One line of a JSONL export. */
export function datasetJsonlLine(snapshot: unknown): string {
  return `${JSON.stringify(snapshot)}\n`;
}
