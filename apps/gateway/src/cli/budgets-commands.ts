import type { Command } from 'commander';
import { CliError, type createAdminClient } from './admin-client.ts';
import { formatTable, formatUsd } from './format-table.ts';
import { numberOption } from './limit-options.ts';

type Client = () => ReturnType<typeof createAdminClient>;
interface BudgetRow {
  id: string;
  scope: string;
  scope_id: string;
  period: string;
  limit_usd: number;
  spent_usd: number;
  reserved_usd: number;
  resets_at: string | null;
}

/** `gantry budgets create|list|update|delete` and `gantry runs limits`. */
export function addBudgetsCommands(program: Command, client: Client): void {
  const budgets = program.command('budgets').description('USD budgets per day, week, month or in total, on keys, teams and customers');
  budgets
    .command('create')
    .requiredOption('--scope <scope>', 'key, team or customer')
    .requiredOption('--id <id>', 'the key, team or customer id')
    .requiredOption('--period <period>', 'day, week, month or total (UTC)')
    .requiredOption('--limit-usd <usd>', 'limit per period, in USD')
    .description('create a budget')
    .action(async (options: { scope: string; id: string; period: string; limitUsd: string }) => {
      const body = { scope: options.scope, scope_id: options.id, period: options.period, limit_usd: numberOption('limit-usd', options.limitUsd) };
      const budget = (await client()('POST', '/admin/budgets', body)) as BudgetRow;
      console.log(`Created budget ${budget.id}: ${formatUsd(budget.limit_usd)} per ${budget.period} on ${budget.scope} ${budget.scope_id}.`);
    });
  budgets
    .command('list')
    .option('--scope <scope>', 'only key, team or customer budgets')
    .description('list budgets with what the current period has spent')
    .action(async (options: { scope?: string }) => {
      const { data } = (await client()('GET', `/admin/budgets${options.scope === undefined ? '' : `?scope=${encodeURIComponent(options.scope)}`}`)) as { data: BudgetRow[] };
      console.log(
        formatTable(
          data.map((row) => ({
            id: row.id,
            scope: `${row.scope}:${row.scope_id}`,
            period: row.period,
            limit: formatUsd(row.limit_usd),
            spent: formatUsd(row.spent_usd),
            reserved: formatUsd(row.reserved_usd),
            resets: row.resets_at ?? 'never',
          })),
        ),
      );
    });
  budgets
    .command('update <id>')
    .option('--limit-usd <usd>', 'new limit per period, in USD')
    .option('--period <period>', 'day, week, month or total')
    .description('raise or lower a budget')
    .action(async (id: string, options: { limitUsd?: string; period?: string }) => {
      const limit = numberOption('limit-usd', options.limitUsd);
      if (limit === undefined && options.period === undefined) throw new CliError('nothing to update: give --limit-usd and/or --period');
      const budget = (await client()('PATCH', `/admin/budgets/${encodeURIComponent(id)}`, { ...(limit === undefined ? {} : { limit_usd: limit }), ...(options.period === undefined ? {} : { period: options.period }) })) as BudgetRow;
      console.log(`Budget ${budget.id} is now ${formatUsd(budget.limit_usd)} per ${budget.period}.`);
    });
  budgets
    .command('delete <id>')
    .description('delete a budget')
    .action(async (id: string) => {
      await client()('DELETE', `/admin/budgets/${encodeURIComponent(id)}`);
      console.log(`Deleted budget ${id}.`);
    });
}
