import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { getTeam, listTeams, type Team } from '@gantry/db';
import { toInvalidRequestError } from '@gantry/formats';
import { InvalidRequestError, NotFoundError } from '@gantry/spec';
import { callerLimitsBody, limitsFromWire, limitsToWire, metadataBody } from './admin-limits-schema.ts';

const createBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  limits: callerLimitsBody.optional(),
  metadata: metadataBody.optional(),
});
const updateBody = createBody.partial();

function toWire(team: Team) {
  return {
    id: team.id,
    name: team.name,
    limits: limitsToWire(team.limits),
    metadata: team.metadata,
    created_at: team.createdAt.toISOString(),
    updated_at: team.updatedAt.toISOString(),
  };
}

function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string }; code?: string }) ?? {};
  return cause.code === '23505' || cause.cause?.code === '23505';
}

/** Teams: create, list, show, update, delete (master key only). */
const adminTeamsRoutes: FastifyPluginAsync = async (app) => {
  const db = () => app.gantry.database.db;
  const missing = (id: string) => new NotFoundError(`no team with id '${id}'; list teams with GET /admin/teams`);

  app.post('/admin/teams', async (request, reply) => {
    const parsed = createBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'team');
    let team: Team;
    try {
      team = await app.gantry.policy.createTeam({ name: parsed.data.name, limits: limitsFromWire(parsed.data.limits ?? {}), metadata: parsed.data.metadata ?? {} });
    } catch (error) {
      if (isUniqueViolation(error)) throw new InvalidRequestError(`invalid team: name: a team named '${parsed.data.name}' already exists`, { param: 'name', status: 409 });
      throw error;
    }
    return reply.code(201).send(toWire(team));
  });

  app.get('/admin/teams', async () => ({ data: (await listTeams(db())).map(toWire) }));

  app.get<{ Params: { id: string } }>('/admin/teams/:id', async (request) => {
    const team = await getTeam(db(), request.params.id);
    if (team === undefined) throw missing(request.params.id);
    return toWire(team);
  });

  app.patch<{ Params: { id: string } }>('/admin/teams/:id', async (request) => {
    const parsed = updateBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'team');
    const { name, limits, metadata } = parsed.data;
    const team = await app.gantry.policy.updateTeam(request.params.id, {
      ...(name === undefined ? {} : { name }),
      ...(limits === undefined ? {} : { limits: limitsFromWire(limits) }),
      ...(metadata === undefined ? {} : { metadata }),
    });
    if (team === undefined) throw missing(request.params.id);
    return toWire(team);
  });

  app.delete<{ Params: { id: string } }>('/admin/teams/:id', async (request) => {
    if (!(await app.gantry.policy.deleteTeam(request.params.id))) throw missing(request.params.id);
    return { id: request.params.id, deleted: true };
  });
};

export default adminTeamsRoutes;
