/**
 * A team key under every kind of budget and rate limit (#5): day and month USD budgets on the key
 * and its team, rpm and tpm on both. Generous enough that a bench never hits them: it measures
 * what checking and drawing on them costs. Made through the admin API with the master key.
 */
export async function limitedKey(gantryUrl: string, masterKey: string): Promise<string> {
  const admin = async (path: string, body: unknown) => {
    const response = await fetch(`${gantryUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status !== 201) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: string; key?: string };
  };
  const limits = { rpm: 10_000_000, tpm: 10_000_000_000 };
  // Named per run: on Postgres the database outlives the bench, and team names are unique.
  const run = new Date().toISOString();
  const team = await admin('/admin/teams', { name: `bench-team ${run}`, limits });
  const key = await admin('/admin/keys', { name: `bench-limited ${run}`, team_id: team.id, limits });
  await admin('/admin/budgets', { scope: 'key', scope_id: key.id, period: 'day', limit_usd: 100_000 });
  await admin('/admin/budgets', { scope: 'team', scope_id: team.id, period: 'month', limit_usd: 1_000_000 });
  return key.key!;
}
