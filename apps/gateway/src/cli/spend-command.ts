import type { Command } from 'commander';
import type { createAdminClient } from './admin-client.ts';
import { formatTable, formatUsd } from './format-table.ts';

type Client = () => ReturnType<typeof createAdminClient>;
interface SpendAnswer {
  group_by: string;
  total_cost_usd: number;
  data: Array<Record<string, unknown> & { cost_usd: number; calls: number; tokens: number }>;
}

/** `gantry spend --by team --since 30d`: settled spend from the ledger, as a table. */
export function addSpendCommand(program: Command, client: Client): void {
  program
    .command('spend')
    .option('--by <group>', 'key, team, customer, model, run_name or day', 'day')
    .option('--since <when>', 'start: a span back from now (30d, 12h, 2w) or an ISO date', '30d')
    .option('--until <when>', 'end (exclusive): a span back from now or an ISO date')
    .description('show spend grouped by key, team, customer, model, run name or day')
    .action(async (options: { by: string; since: string; until?: string }) => {
      const query = new URLSearchParams({ group_by: options.by, from: options.since, ...(options.until === undefined ? {} : { to: options.until }) });
      const answer = (await client()('GET', `/v1/spend?${query}`)) as SpendAnswer;
      const rows = answer.data.map((row) => ({
        [answer.group_by]: String(row[answer.group_by] ?? '(none)'),
        cost: formatUsd(row.cost_usd),
        share: answer.total_cost_usd > 0 ? `${((row.cost_usd / answer.total_cost_usd) * 100).toFixed(1)}%` : '-',
        calls: String(row.calls),
        tokens: String(row.tokens),
      }));
      console.log(formatTable(rows));
      console.log(`\ntotal ${formatUsd(answer.total_cost_usd)} since ${options.since}`);
    });
}
