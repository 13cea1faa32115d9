import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { budgetPeriods, budgetScopes, getBudget, listBudgets, type Budget } from '@gantry/db';
import { toInvalidRequestError } from '@gantry/formats';
import { InvalidRequestError, NotFoundError } from '@gantry/spec';
import { toMicros, usdAmount } from './admin-limits-schema.ts';
import { toBudgetView, toBudgetViews } from './budget-view.ts';

const scope = z.enum(budgetScopes, { error: `must be one of ${budgetScopes.join(', ')}` });
const period = z.enum(budgetPeriods, { error: `must be one of ${budgetPeriods.join(', ')}` });
const createBody = z.strictObject({ scope, scope_id: z.string().min(1, 'must not be empty'), period, limit_usd: usdAmount });
const updateBody = z.strictObject({ period: period.optional(), limit_usd: usdAmount.optional() });
const listQuery = z.strictObject({ scope: scope.optional(), scope_id: z.string().optional() });

/** Budgets on keys, teams and customers, with what the current period has spent so far. */
const adminBudgetsRoutes: FastifyPluginAsync = async (app) => {
  const db = () => app.gantry.database.db;
  const missing = (id: string) => new NotFoundError(`no budget with id '${id}'; list budgets with GET /admin/budgets`);
  const now = () => app.gantry.budgets.clock();
  const toWire = (budget: Budget) => toBudgetView(db(), budget, now());

  app.post('/admin/budgets', async (request, reply) => {
    const parsed = createBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'budget');
    const body = parsed.data;
    const budget = await app.gantry.policy.createBudget({ scope: body.scope, scopeId: body.scope_id, period: body.period, limitMicros: toMicros(body.limit_usd) });
    if (budget === undefined) {
      throw new InvalidRequestError(`invalid budget: scope_id: no ${body.scope} '${body.scope_id}'; list them with GET /admin/${body.scope === 'key' ? 'keys' : `${body.scope}s`}`, { param: 'scope_id' });
    }
    return reply.code(201).send(await toWire(budget));
  });

  app.get('/admin/budgets', async (request) => {
    const parsed = listQuery.safeParse(request.query, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'query');
    const { scope: kind, scope_id: scopeId } = parsed.data;
    const rows = await listBudgets(db(), kind !== undefined && scopeId !== undefined ? { scope: kind, scopeId } : undefined);
    const filtered = rows.filter((row) => (kind === undefined || row.scope === kind) && (scopeId === undefined || row.scopeId === scopeId));
    return { data: await toBudgetViews(db(), filtered, now()) };
  });

  app.get<{ Params: { id: string } }>('/admin/budgets/:id', async (request) => {
    const budget = await getBudget(db(), request.params.id);
    if (budget === undefined) throw missing(request.params.id);
    return toWire(budget);
  });

  app.patch<{ Params: { id: string } }>('/admin/budgets/:id', async (request) => {
    const parsed = updateBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'budget');
    const budget = await app.gantry.policy.updateBudget(request.params.id, {
      ...(parsed.data.period === undefined ? {} : { period: parsed.data.period }),
      ...(parsed.data.limit_usd === undefined ? {} : { limitMicros: toMicros(parsed.data.limit_usd) }),
    });
    if (budget === undefined) throw missing(request.params.id);
    return toWire(budget);
  });

  app.delete<{ Params: { id: string } }>('/admin/budgets/:id', async (request) => {
    if (!(await app.gantry.policy.deleteBudget(request.params.id))) throw missing(request.params.id);
    return { id: request.params.id, deleted: true };
  });
};

export default adminBudgetsRoutes;
