import { eq } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import { apiKeys, getTeam, type GantryDb } from '@gantry/db';
import type { Principal } from '@gantry/policy';

/** Who a key is, as `GET /v1/me` answers: never the key's secret or its hash. */
export interface MeView {
  /** True for the master key (GANTRY_MASTER_KEY). */
  master: boolean;
  /** The virtual key signed in; null for the master key. */
  key: { id: string; name: string; team_id: string | null } | null;
  /** The key's team; null for the master key, a key without a team, or a team since deleted. */
  team: { id: string; name: string } | null;
}

type KeyPrincipal = Extract<Principal, { kind: 'key' }>;

/**
 * The key's name and team as the database has them now: the principal comes from the
 * authenticator's cache, which may predate a rename or a move to another team.
 */
async function keyOf(db: GantryDb, principal: KeyPrincipal): Promise<NonNullable<MeView['key']>> {
  const [row] = await db.select({ id: apiKeys.id, name: apiKeys.name, teamId: apiKeys.teamId }).from(apiKeys).where(eq(apiKeys.id, principal.keyId));
  // Keys are revoked, never deleted: a missing row means it went between authentication and now.
  const key = row ?? { id: principal.keyId, name: principal.name, teamId: principal.teamId };
  return { id: key.id, name: key.name, team_id: key.teamId };
}

/** The team by id, or null when the key has none or it no longer exists. */
async function teamOf(db: GantryDb, teamId: string | null): Promise<MeView['team']> {
  if (teamId === null) return null;
  const team = await getTeam(db, teamId);
  return team === undefined ? null : { id: team.id, name: team.name };
}

/** `GET /v1/me` (any valid key): who is signed in, so a console can show it. */
const meRoute: FastifyPluginAsync = async (app) => {
  app.get('/v1/me', async (request): Promise<MeView> => {
    const principal = request.principal;
    if (principal.kind === 'master') return { master: true, key: null, team: null };
    const db = app.gantry.database.db;
    const key = await keyOf(db, principal);
    return { master: false, key, team: await teamOf(db, key.team_id) };
  });
};

export default meRoute;
