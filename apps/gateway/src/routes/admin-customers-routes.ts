import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { getCustomer, getTeam, listCustomers, type Customer } from '@gantry/db';
import { toInvalidRequestError } from '@gantry/formats';
import { InvalidRequestError, NotFoundError } from '@gantry/spec';
import { metadataBody } from './admin-limits-schema.ts';

const createBody = z.strictObject({
  /** What requests send as `user` or `x-gantry-customer-id`. */
  external_id: z.string().trim().min(1, 'must not be empty').max(256),
  team_id: z.string().min(1).optional(),
  name: z.string().max(200).optional(),
  metadata: metadataBody.optional(),
});
const updateBody = z.strictObject({ name: z.string().max(200).optional(), metadata: metadataBody.optional() });

function toWire(customer: Customer) {
  return {
    id: customer.id,
    external_id: customer.externalId,
    team_id: customer.teamId,
    name: customer.name,
    metadata: customer.metadata,
    created_at: customer.createdAt.toISOString(),
  };
}

/** Customers (the end users a team's product sends as `user`): create, list, show, update, delete. */
const adminCustomersRoutes: FastifyPluginAsync = async (app) => {
  const db = () => app.gantry.database.db;
  const missing = (id: string) => new NotFoundError(`no customer with id '${id}'; list customers with GET /admin/customers`);

  app.post('/admin/customers', async (request, reply) => {
    const parsed = createBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'customer');
    const { external_id: externalId, team_id: teamId, name, metadata } = parsed.data;
    if (teamId !== undefined && (await getTeam(db(), teamId)) === undefined) {
      throw new InvalidRequestError(`invalid customer: team_id: no team '${teamId}'; list teams with GET /admin/teams`, { param: 'team_id' });
    }
    const customer = await app.gantry.policy.createCustomer({ externalId, teamId: teamId ?? null, name: name ?? null, metadata: metadata ?? {} });
    if (customer === undefined) {
      throw new InvalidRequestError(`invalid customer: external_id: '${externalId}' already exists${teamId === undefined ? ' without a team' : ` in team '${teamId}'`}`, { param: 'external_id', status: 409 });
    }
    return reply.code(201).send(toWire(customer));
  });

  app.get('/admin/customers', async () => ({ data: (await listCustomers(db())).map(toWire) }));

  app.get<{ Params: { id: string } }>('/admin/customers/:id', async (request) => {
    const customer = await getCustomer(db(), request.params.id);
    if (customer === undefined) throw missing(request.params.id);
    return toWire(customer);
  });

  app.patch<{ Params: { id: string } }>('/admin/customers/:id', async (request) => {
    const parsed = updateBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'customer');
    const customer = await app.gantry.policy.updateCustomer(request.params.id, {
      ...(parsed.data.name === undefined ? {} : { name: parsed.data.name }),
      ...(parsed.data.metadata === undefined ? {} : { metadata: parsed.data.metadata }),
    });
    if (customer === undefined) throw missing(request.params.id);
    return toWire(customer);
  });

  app.delete<{ Params: { id: string } }>('/admin/customers/:id', async (request) => {
    if (!(await app.gantry.policy.deleteCustomer(request.params.id))) throw missing(request.params.id);
    return { id: request.params.id, deleted: true };
  });
};

export default adminCustomersRoutes;
