import type { Command } from 'commander';
import type { RunNodeView, RunView } from '../routes/runs-view.ts';
import type { createAdminClient } from './admin-client.ts';
import { formatTable, formatUsd } from './format-table.ts';
import { numberOption } from './limit-options.ts';
import { renderRunTree } from './render-run-tree.ts';

type Client = () => ReturnType<typeof createAdminClient>;

/** `30d`, `12h`, `15m`, `2w` back from now as ISO 8601; anything else is passed on as given. */
export function sinceToIso(when: string, now = Date.now()): string {
  const match = /^(\d+)([mhdw])$/.exec(when);
  if (match === null) return when;
  const unitMs = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 'm' | 'h' | 'd' | 'w'];
  return new Date(now - Number(match[1]) * unitMs).toISOString();
}

interface ListOptions {
  name?: string;
  status?: string;
  key?: string;
  since?: string;
  until?: string;
  limit: string;
  cursor?: string;
  json?: boolean;
}

/** `gantry runs list|show|limits`: agent runs as the runs API has them, as a table or a tree; a run tree's limits. */
export function addRunsCommands(program: Command, client: Client): void {
  const runs = program.command('runs').description('agent runs: list them, show one as a tree');
  runs
    .command('list')
    .description('list runs, newest first')
    .option('--name <name>', 'runs of this name (x-gantry-run-name)')
    .option('--status <status>', 'running, succeeded, failed or timed_out')
    .option('--key <id>', 'runs of this virtual key')
    .option('--since <when>', 'started at or after: a span back from now (30d, 12h, 15m) or an ISO date')
    .option('--until <when>', 'started before: a span back from now or an ISO date')
    .option('--limit <n>', 'at most this many (1-200)', '20')
    .option('--cursor <cursor>', 'the next page, as the previous one printed it')
    .option('--json', 'print the API response as JSON')
    .action(async (options: ListOptions) => {
      const query = new URLSearchParams({ limit: options.limit });
      if (options.name !== undefined) query.set('name', options.name);
      if (options.status !== undefined) query.set('status', options.status);
      if (options.key !== undefined) query.set('key', options.key);
      if (options.since !== undefined) query.set('from', sinceToIso(options.since));
      if (options.until !== undefined) query.set('to', sinceToIso(options.until));
      if (options.cursor !== undefined) query.set('cursor', options.cursor);
      const page = (await client()('GET', `/v1/runs?${query}`)) as { data: RunView[]; next_cursor: string | null };
      if (options.json === true) return console.log(JSON.stringify(page, null, 2));
      console.log(
        formatTable(
          page.data.map((run) => ({
            id: run.id,
            name: run.name ?? '-',
            status: run.status,
            started: run.started_at ?? '-',
            duration: `${(run.totals.duration_ms / 1000).toFixed(1)} s`,
            calls: String(run.totals.llm_calls),
            tools: String(run.totals.tool_calls),
            'sub-runs': String(run.totals.runs - 1),
            tokens: `${run.totals.input_tokens}→${run.totals.output_tokens}`,
            cost: formatUsd(run.totals.cost_usd),
          })),
        ),
      );
      if (page.next_cursor !== null) console.log(`\nmore: gantry runs list --cursor ${page.next_cursor}`);
    });
  runs
    .command('show <id>')
    .description('a run as a tree: calls, attempts, tool calls and sub-agent runs, with durations, tokens and costs')
    .option('--json', 'print the API response as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const tree = (await client()('GET', `/v1/runs/${encodeURIComponent(id)}`)) as RunNodeView;
      console.log(options.json === true ? JSON.stringify(tree, null, 2) : renderRunTree(tree));
    });
  runs
    .command('limits <run-id>')
    .option('--max-cost-usd <usd>', 'max cost of the run tree')
    .option('--max-calls <n>', 'max LLM calls of the run tree')
    .option('--max-tokens <n>', 'max tokens of the run tree')
    .description("set a run tree's limits (a paused run resumes when they allow its next call)")
    .action(async (runId: string, options: { maxCostUsd?: string; maxCalls?: string; maxTokens?: string }) => {
      const body = JSON.parse(
        JSON.stringify({ max_cost_usd: numberOption('max-cost-usd', options.maxCostUsd), max_calls: numberOption('max-calls', options.maxCalls), max_tokens: numberOption('max-tokens', options.maxTokens) }),
      ) as Record<string, number>;
      const result = (await client()('POST', `/v1/runs/${encodeURIComponent(runId)}/limits`, body)) as { status: string; limits: unknown };
      console.log(`Run ${runId} is ${result.status}; limits ${JSON.stringify(result.limits)}.`);
    });
}
