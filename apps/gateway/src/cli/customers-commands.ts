import type { Command } from 'commander';
import type { createAdminClient } from './admin-client.ts';
import { formatTable } from './format-table.ts';

type Client = () => ReturnType<typeof createAdminClient>;
interface CustomerRow {
  id: string;
  external_id: string;
  team_id: string | null;
  name: string | null;
  created_at: string;
}

/** `gantry customers create|list|update|delete`. */
export function addCustomersCommands(program: Command, client: Client): void {
  const customers = program.command('customers').description('customers: the end users your product sends as `user` or x-gantry-customer-id');
  customers
    .command('create')
    .requiredOption('--external-id <id>', 'the id requests carry (`user` / x-gantry-customer-id)')
    .option('--team <id>', 'the team whose customer it is')
    .option('--name <name>', 'display name')
    .description('register a customer (to give it a budget)')
    .action(async (options: { externalId: string; team?: string; name?: string }) => {
      const body = { external_id: options.externalId, ...(options.team === undefined ? {} : { team_id: options.team }), ...(options.name === undefined ? {} : { name: options.name }) };
      const customer = (await client()('POST', '/admin/customers', body)) as CustomerRow;
      console.log(`Created customer ${customer.id} (${customer.external_id}).`);
    });
  customers
    .command('list')
    .description('list customers')
    .action(async () => {
      const { data } = (await client()('GET', '/admin/customers')) as { data: CustomerRow[] };
      console.log(formatTable(data.map((row) => ({ id: row.id, external_id: row.external_id, team: row.team_id ?? '-', name: row.name ?? '-', created: row.created_at }))));
    });
  customers
    .command('update <id>')
    .requiredOption('--name <name>', 'display name')
    .description("change a customer's name")
    .action(async (id: string, options: { name: string }) => {
      await client()('PATCH', `/admin/customers/${encodeURIComponent(id)}`, { name: options.name });
      console.log(`Updated customer ${id}.`);
    });
  customers
    .command('delete <id>')
    .description('delete a customer and its budgets')
    .action(async (id: string) => {
      await client()('DELETE', `/admin/customers/${encodeURIComponent(id)}`);
      console.log(`Deleted customer ${id}.`);
    });
}
