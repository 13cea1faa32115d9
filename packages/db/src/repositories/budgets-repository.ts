import { and, asc, eq } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { budgets, type Budget, type BudgetScope, type NewBudget } from '../schema/budgets.ts';

export async function insertBudget(db: GantryDb, row: NewBudget): Promise<Budget> {
  const [inserted] = await db.insert(budgets).values(row).returning();
  return inserted!;
}

export async function getBudget(db: GantryDb, id: string): Promise<Budget | undefined> {
  const [budget] = await db.select().from(budgets).where(eq(budgets.id, id));
  return budget;
}

export async function listBudgets(db: GantryDb, scope?: { scope: BudgetScope; scopeId: string }): Promise<Budget[]> {
  const where = scope === undefined ? undefined : and(eq(budgets.scope, scope.scope), eq(budgets.scopeId, scope.scopeId));
  return db.select().from(budgets).where(where).orderBy(asc(budgets.scope), asc(budgets.scopeId), asc(budgets.period));
}

export async function updateBudget(db: GantryDb, id: string, values: Partial<Pick<NewBudget, 'limitMicros' | 'period'>>): Promise<Budget | undefined> {
  const [budget] = await db.update(budgets).set(values).where(eq(budgets.id, id)).returning();
  return budget;
}

export async function deleteBudget(db: GantryDb, id: string): Promise<boolean> {
  const deleted = await db.delete(budgets).where(eq(budgets.id, id)).returning({ id: budgets.id });
  return deleted.length > 0;
}

/** Removes the budgets of a deleted key, team or customer. */
export async function deleteBudgetsOf(db: GantryDb, scope: BudgetScope, scopeId: string): Promise<void> {
  await db.delete(budgets).where(and(eq(budgets.scope, scope), eq(budgets.scopeId, scopeId)));
}
