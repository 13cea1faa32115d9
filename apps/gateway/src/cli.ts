import { Command } from 'commander';
import { CliError, createAdminClient } from './cli/admin-client.ts';

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

function table(rows: Record<string, string>[]): string {
  if (rows.length === 0) return '(none)';
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd();
  return [line(columns), ...rows.map((row) => line(columns.map((column) => row[column] ?? '')))].join('\n');
}

const program = new Command('gantry').description('Administer a running Gantry gateway (uses its admin API with the master key)');
program.option('--url <url>', 'gateway URL (default: GANTRY_URL or http://127.0.0.1:4000)');

const keys = program.command('keys').description('virtual API keys');
keys
  .command('create')
  .requiredOption('--name <name>', 'what the key is for')
  .option('--expires-at <iso>', 'expiry, ISO 8601 (e.g. 2027-01-01T00:00:00Z)')
  .description('create a key; its secret is printed once')
  .action(async (options: { name: string; expiresAt?: string }) => {
    const call = createAdminClient({ url: program.opts<{ url?: string }>().url });
    const created = (await call('POST', '/admin/keys', { name: options.name, ...(options.expiresAt ? { expires_at: options.expiresAt } : {}) })) as KeyRow & { key: string };
    console.log(`Created key ${created.id} (${created.name}). Its secret is shown only now:\n\n  ${created.key}\n`);
  });
keys
  .command('list')
  .description('list keys (never their secrets)')
  .action(async () => {
    const call = createAdminClient({ url: program.opts<{ url?: string }>().url });
    const { data } = (await call('GET', '/admin/keys')) as { data: KeyRow[] };
    console.log(
      table(
        data.map((key) => ({
          id: key.id,
          name: key.name,
          prefix: key.prefix,
          created: key.created_at,
          status: key.revoked_at ? 'revoked' : key.expires_at && Date.parse(key.expires_at) <= Date.now() ? 'expired' : 'active',
          last_used: key.last_used_at ?? '-',
        })),
      ),
    );
  });
keys
  .command('revoke <id>')
  .description('revoke a key; calls with it fail from then on')
  .action(async (id: string) => {
    const call = createAdminClient({ url: program.opts<{ url?: string }>().url });
    await call('DELETE', `/admin/keys/${encodeURIComponent(id)}`);
    console.log(`Revoked key ${id}.`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CliError) {
    console.error(`gantry: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
