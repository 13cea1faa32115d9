import { Command } from 'commander';
import { CliError, createAdminClient, createGatewayClient } from './cli/admin-client.ts';
import { addBudgetsCommands } from './cli/budgets-commands.ts';
import { addCacheCommands } from './cli/cache-commands.ts';
import { addCustomersCommands } from './cli/customers-commands.ts';
import { addDatasetCommands } from './cli/dataset-commands.ts';
import { addEvalCommands } from './cli/eval-gate-command.ts';
import { addEvalRunCommand } from './cli/eval-run-command.ts';
import { formatTable } from './cli/format-table.ts';
import { addLimitOptions, limitsFromOptions, type LimitOptions } from './cli/limit-options.ts';
import { addReplayCommands } from './cli/replay-commands.ts';
import { addRunsCommands } from './cli/runs-commands.ts';
import { addSpendCommand } from './cli/spend-command.ts';
import { addTeamsCommands } from './cli/teams-commands.ts';

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  team_id: string | null;
}

interface KeyOptions extends LimitOptions {
  team?: string;
  allowedModels?: string;
  expiresAt?: string;
}

function keyBody(options: KeyOptions): Record<string, unknown> {
  const limits = limitsFromOptions(options);
  return {
    ...(options.team === undefined ? {} : { team_id: options.team }),
    ...(options.allowedModels === undefined ? {} : { allowed_models: options.allowedModels.split(',').map((model) => model.trim()).filter((model) => model !== '') }),
    ...(options.expiresAt === undefined ? {} : { expires_at: options.expiresAt }),
    ...(limits === undefined ? {} : { limits }),
  };
}

const table = formatTable;

const program = new Command('gantry').description('Administer a running Gantry gateway through its HTTP API: with the master key, or with a virtual key (--api-key / GANTRY_API_KEY) for datasets, replays and evals');
program.option('--url <url>', 'gateway URL (default: GANTRY_URL or http://127.0.0.1:4000)');

const client = () => createAdminClient({ url: program.opts<{ url?: string }>().url });
const keys = program.command('keys').description('virtual API keys');
const keyOptions = (command: ReturnType<typeof keys.command>) =>
  addLimitOptions(command, true)
    .option('--team <id>', 'the team the key belongs to')
    .option('--allowed-models <list>', 'comma-separated models (aliases or provider/model) the key may call')
    .option('--expires-at <iso>', 'expiry, ISO 8601 (e.g. 2027-01-01T00:00:00Z)');
keyOptions(keys.command('create').requiredOption('--name <name>', 'what the key is for'))
  .description('create a key; its secret is printed once')
  .action(async (options: KeyOptions & { name: string }) => {
    const call = client();
    const created = (await call('POST', '/admin/keys', { name: options.name, ...keyBody(options) })) as KeyRow & { key: string };
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
          team: key.team_id ?? '-',
          created: key.created_at,
          status: key.revoked_at ? 'revoked' : key.expires_at && Date.parse(key.expires_at) <= Date.now() ? 'expired' : 'active',
          last_used: key.last_used_at ?? '-',
        })),
      ),
    );
  });
keyOptions(keys.command('update <id>').option('--name <name>', 'new name'))
  .description("change a key's team, allowed models, limits or expiry")
  .action(async (id: string, options: KeyOptions & { name?: string }) => {
    const updated = (await client()('PATCH', `/admin/keys/${encodeURIComponent(id)}`, { ...(options.name === undefined ? {} : { name: options.name }), ...keyBody(options) })) as KeyRow;
    console.log(`Updated key ${updated.id} (${updated.name}).`);
  });
keys
  .command('revoke <id>')
  .description('revoke a key; calls with it fail from then on')
  .action(async (id: string) => {
    const call = createAdminClient({ url: program.opts<{ url?: string }>().url });
    await call('DELETE', `/admin/keys/${encodeURIComponent(id)}`);
    console.log(`Revoked key ${id}.`);
  });

addTeamsCommands(program, client);
addCustomersCommands(program, client);
addBudgetsCommands(program, client);
addSpendCommand(program, client);
addRunsCommands(program, client);
addDatasetCommands(program, createGatewayClient);
addReplayCommands(program, createGatewayClient);
addEvalCommands(program, createGatewayClient);
addEvalRunCommand(program, createGatewayClient);
addCacheCommands(program, createGatewayClient);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CliError) {
    console.error(`gantry: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
