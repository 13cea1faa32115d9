import type { FastifyPluginAsync } from 'fastify';
import { listBudgets, type Budget, type GantryDb } from '@gantry/db';
import type { Principal } from '@gantry/policy';
import { toBudgetViews, type BudgetView } from './budget-view.ts';

export type { BudgetView } from './budget-view.ts';

/** `GET /v1/budgets`: the budgets that apply to the caller. */
export type BudgetListView = { data: BudgetView[] };

/**
 * The budgets a caller may see: the master key every budget; a virtual key those on itself and on
 * its team, never another key's, team's or customer's.
 */
async function budgetsVisibleTo(db: GantryDb, principal: Principal): Promise<Budget[]> {
  if (principal.kind === 'master') return listBudgets(db);
  const own = await listBudgets(db, { scope: 'key', scopeId: principal.keyId });
  const team = principal.teamId === null ? [] : await listBudgets(db, { scope: 'team', scopeId: principal.teamId });
  return [...own, ...team];
}

/**
 * `GET /v1/budgets` (any valid key): the budgets that apply to the caller, in the shape of
 * `GET /admin/budgets`, with how much of each the current period has used.
 */
const budgetsRoute: FastifyPluginAsync = async (app) => {
  app.get('/v1/budgets', async (request): Promise<BudgetListView> => {
    // Calls settle asynchronously: include what this instance has in hand.
    await app.gantry.budgets.drain();
    const db = app.gantry.database.db;
    const budgets = await budgetsVisibleTo(db, request.principal);
    return { data: await toBudgetViews(db, budgets, app.gantry.budgets.clock()) };
  });
};

export default budgetsRoute;
