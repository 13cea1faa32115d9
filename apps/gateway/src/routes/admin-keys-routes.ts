import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { getTeam, listApiKeys, type CallerLimits } from '@gantry/db';
import { toInvalidRequestError } from '@gantry/formats';
import { InvalidRequestError, NotFoundError } from '@gantry/spec';
import { callerLimitsBody, limitsFromWire, limitsToWire } from './admin-limits-schema.ts';

const createKeyBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  expires_at: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2027-01-01T00:00:00Z' }).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  team_id: z.string().min(1, 'must not be empty').optional(),
  /** Aliases or `provider/model` names the key may call; omit for any. */
  allowed_models: z.array(z.string().min(1)).optional(),
  limits: callerLimitsBody.optional(),
});
const updateKeyBody = createKeyBody.extend({
  name: createKeyBody.shape.name.optional(),
  team_id: z.string().min(1, 'must not be empty').nullable().optional(),
  allowed_models: z.array(z.string().min(1)).nullable().optional(),
  expires_at: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2027-01-01T00:00:00Z' }).nullable().optional(),
});

interface KeyView {
  id: string;
  name: string;
  prefix: string;
  metadata: unknown;
  teamId: string | null;
  allowedModels: string[] | null;
  limits: CallerLimits;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

function toWire(key: KeyView) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    metadata: key.metadata,
    team_id: key.teamId,
    allowed_models: key.allowedModels,
    limits: limitsToWire(key.limits),
    created_at: key.createdAt.toISOString(),
    expires_at: key.expiresAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
  };
}

/** Virtual key administration; master key only. Secrets are returned once, at creation. */
const adminKeysRoutes: FastifyPluginAsync = async (app) => {
  async function assertTeam(teamId: string | undefined): Promise<void> {
    if (teamId !== undefined && (await getTeam(app.gantry.database.db, teamId)) === undefined) {
      throw new InvalidRequestError(`invalid key: team_id: no team '${teamId}'; create it with POST /admin/teams or list teams with GET /admin/teams`, { param: 'team_id' });
    }
  }

  app.post('/admin/keys', async (request, reply) => {
    const parsed = createKeyBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'key');
    await assertTeam(parsed.data.team_id);
    const { key, secret } = await app.gantry.policy.createKey({
      name: parsed.data.name,
      metadata: parsed.data.metadata ?? {},
      teamId: parsed.data.team_id ?? null,
      allowedModels: parsed.data.allowed_models ?? null,
      limits: limitsFromWire(parsed.data.limits ?? {}),
      expiresAt: parsed.data.expires_at === undefined ? null : new Date(parsed.data.expires_at),
    });
    return reply.code(201).send({ ...toWire(key), key: secret });
  });

  app.patch<{ Params: { id: string } }>('/admin/keys/:id', async (request) => {
    const parsed = updateKeyBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'key');
    const body = parsed.data;
    if (body.team_id !== null) await assertTeam(body.team_id);
    const key = await app.gantry.policy.updateKey(request.params.id, {
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
      ...(body.team_id === undefined ? {} : { teamId: body.team_id }),
      ...(body.allowed_models === undefined ? {} : { allowedModels: body.allowed_models }),
      ...(body.limits === undefined ? {} : { limits: limitsFromWire(body.limits) }),
      ...(body.expires_at === undefined ? {} : { expiresAt: body.expires_at === null ? null : new Date(body.expires_at) }),
    });
    if (key === undefined) throw new NotFoundError(`no key with id '${request.params.id}'; list keys with GET /admin/keys`);
    // The team and expiry live in the authenticated principal: make this instance look again.
    app.gantry.authenticator.invalidate(request.params.id);
    return toWire(key);
  });

  app.get('/admin/keys', async () => ({ data: (await listApiKeys(app.gantry.database.db)).map(toWire) }));

  app.delete<{ Params: { id: string } }>('/admin/keys/:id', async (request) => {
    if (!(await app.gantry.policy.revokeKey(request.params.id))) throw new NotFoundError(`no active key with id '${request.params.id}'; list keys with GET /admin/keys`);
    app.gantry.authenticator.invalidate(request.params.id);
    return { id: request.params.id, revoked: true };
  });
};

export default adminKeysRoutes;
