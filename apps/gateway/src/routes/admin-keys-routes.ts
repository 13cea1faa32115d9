import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { insertApiKey, listApiKeys, revokeApiKey } from '@gantry/db';
import { toInvalidRequestError } from '@gantry/formats';
import { generateApiKeySecret } from '@gantry/policy';
import { newSpanId } from '@gantry/runs';
import { NotFoundError } from '@gantry/spec';

const createKeyBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  expires_at: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2027-01-01T00:00:00Z' }).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

interface KeyView {
  id: string;
  name: string;
  prefix: string;
  metadata: unknown;
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
    created_at: key.createdAt.toISOString(),
    expires_at: key.expiresAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
  };
}

/** Virtual key administration; master key only. Secrets are returned once, at creation. */
const adminKeysRoutes: FastifyPluginAsync = async (app) => {
  const admin = { config: { auth: 'admin' as const } };

  app.post('/admin/keys', admin, async (request, reply) => {
    const parsed = createKeyBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'key');
    const { secret, prefix, hash } = generateApiKeySecret();
    const row = await insertApiKey(app.gantry.database.db, {
      id: newSpanId(),
      name: parsed.data.name,
      prefix,
      secretHash: hash,
      metadata: parsed.data.metadata ?? {},
      expiresAt: parsed.data.expires_at === undefined ? null : new Date(parsed.data.expires_at),
    });
    return reply.code(201).send({ ...toWire(row), key: secret });
  });

  app.get('/admin/keys', admin, async () => ({ data: (await listApiKeys(app.gantry.database.db)).map(toWire) }));

  app.delete<{ Params: { id: string } }>('/admin/keys/:id', admin, async (request) => {
    const revoked = await revokeApiKey(app.gantry.database.db, request.params.id);
    if (!revoked) throw new NotFoundError(`no active key with id '${request.params.id}'; list keys with GET /admin/keys`);
    app.gantry.authenticator.invalidate(request.params.id);
    return { id: request.params.id, revoked: true };
  });
};

export default adminKeysRoutes;
