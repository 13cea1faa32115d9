import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ResponseCache } from '@gantry/cache';
import { deleteCacheEntries } from '@gantry/db';
import { toInvalidRequestError } from '@gantry/formats';
import { InvalidRequestError } from '@gantry/spec';

const deleteQuery = z.strictObject({
  /** The hex SHA-256 an answer carried in `x-gantry-cache-key`. */
  key: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 hex characters of an x-gantry-cache-key header').optional(),
  /** An `x-gantry-cache-namespace`; empty: the entries stored without one. */
  namespace: z.string().regex(/^[A-Za-z0-9_.:-]{0,128}$/, 'must be up to 128 letters, digits and - _ . : (empty: entries stored without a namespace)').optional(),
  /** `team:<id>`, `key:<id>`, `global` or `master`. */
  scope: z.string().regex(/^(team:[^\u0000]{1,200}|key:[^\u0000]{1,200}|global|master)$/, 'must be team:<id>, key:<id>, global or master').optional(),
});

/** Response of `DELETE /admin/cache`. */
export interface CacheDeleteView {
  deleted: number;
}

/**
 * `DELETE /admin/cache?key=&namespace=&scope=` (master key): drops cached answers. This instance
 * stops serving them at once, every other within the few seconds it serves entries it saw lately.
 */
const adminCacheRoute: FastifyPluginAsync = async (app) => {
  app.delete('/admin/cache', async (request): Promise<CacheDeleteView> => {
    const parsed = deleteQuery.safeParse(request.query, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'query');
    const { key, namespace, scope } = parsed.data;
    if (key === undefined && namespace === undefined && scope === undefined) {
      throw new InvalidRequestError('invalid query: say which entries to delete: key (from x-gantry-cache-key), namespace, scope, or several of them', { param: 'key' });
    }
    const deleted = await deleteCacheEntries(app.gantry.database.db, { ...(key === undefined ? {} : { keyHash: key }), ...(namespace === undefined ? {} : { namespace }), ...(scope === undefined ? {} : { scope }) });
    // This instance forgets at once; others within the cache's recent window (5 s).
    for (const middleware of app.gantry.middleware) if (middleware instanceof ResponseCache) middleware.forgetRecent();
    return { deleted };
  });
};

export default adminCacheRoute;
