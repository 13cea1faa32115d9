import { asc, eq } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { customers, type Customer, type NewCustomer } from '../schema/customers.ts';

export async function insertCustomer(db: GantryDb, row: NewCustomer): Promise<Customer | undefined> {
  const [inserted] = await db.insert(customers).values(row).onConflictDoNothing().returning();
  return inserted;
}

export async function getCustomer(db: GantryDb, id: string): Promise<Customer | undefined> {
  const [customer] = await db.select().from(customers).where(eq(customers.id, id));
  return customer;
}

export async function listCustomers(db: GantryDb): Promise<Customer[]> {
  return db.select().from(customers).orderBy(asc(customers.externalId), asc(customers.id));
}

export async function updateCustomer(db: GantryDb, id: string, values: Partial<Pick<NewCustomer, 'name' | 'metadata'>>): Promise<Customer | undefined> {
  const [customer] = await db.update(customers).set(values).where(eq(customers.id, id)).returning();
  return customer;
}

export async function deleteCustomer(db: GantryDb, id: string): Promise<boolean> {
  const deleted = await db.delete(customers).where(eq(customers.id, id)).returning({ id: customers.id });
  return deleted.length > 0;
}
