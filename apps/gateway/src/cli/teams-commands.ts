import type { Command } from 'commander';
import type { createAdminClient } from './admin-client.ts';
import { formatTable } from './format-table.ts';
import { addLimitOptions, limitsFromOptions, type LimitOptions } from './limit-options.ts';

type Client = () => ReturnType<typeof createAdminClient>;
interface TeamRow {
  id: string;
  name: string;
  limits: Record<string, unknown>;
  created_at: string;
}

/** `gantry teams create|list|update|delete`. */
export function addTeamsCommands(program: Command, client: Client): void {
  const teams = program.command('teams').description('teams: own keys and customers; budgets and rate limits may apply to a whole team');
  addLimitOptions(teams.command('create').requiredOption('--name <name>', 'team name').description('create a team'), false).action(async (options: LimitOptions & { name: string }) => {
    const limits = limitsFromOptions(options);
    const team = (await client()('POST', '/admin/teams', { name: options.name, ...(limits === undefined ? {} : { limits }) })) as TeamRow;
    console.log(`Created team ${team.id} (${team.name}).`);
  });
  teams
    .command('list')
    .description('list teams')
    .action(async () => {
      const { data } = (await client()('GET', '/admin/teams')) as { data: TeamRow[] };
      console.log(formatTable(data.map((team) => ({ id: team.id, name: team.name, limits: JSON.stringify(team.limits), created: team.created_at }))));
    });
  addLimitOptions(teams.command('update <id>').option('--name <name>', 'new name').description('rename a team or change its limits'), false).action(async (id: string, options: LimitOptions & { name?: string }) => {
    const limits = limitsFromOptions(options);
    const team = (await client()('PATCH', `/admin/teams/${encodeURIComponent(id)}`, { ...(options.name === undefined ? {} : { name: options.name }), ...(limits === undefined ? {} : { limits }) })) as TeamRow;
    console.log(`Updated team ${team.id} (${team.name}): limits ${JSON.stringify(team.limits)}.`);
  });
  teams
    .command('delete <id>')
    .description('delete a team and its budgets')
    .action(async (id: string) => {
      await client()('DELETE', `/admin/teams/${encodeURIComponent(id)}`);
      console.log(`Deleted team ${id}.`);
    });
}
