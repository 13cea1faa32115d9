import { asc, eq } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { teams, type NewTeam, type Team } from '../schema/teams.ts';

export async function insertTeam(db: GantryDb, row: NewTeam): Promise<Team> {
  const [inserted] = await db.insert(teams).values(row).returning();
  return inserted!;
}

export async function getTeam(db: GantryDb, id: string): Promise<Team | undefined> {
  const [team] = await db.select().from(teams).where(eq(teams.id, id));
  return team;
}

export async function listTeams(db: GantryDb): Promise<Team[]> {
  return db.select().from(teams).orderBy(asc(teams.name));
}

/** Updates the given fields; undefined when no team has this id. */
export async function updateTeam(db: GantryDb, id: string, values: Partial<Pick<NewTeam, 'name' | 'limits' | 'metadata'>>): Promise<Team | undefined> {
  const [team] = await db.update(teams).set(values).where(eq(teams.id, id)).returning();
  return team;
}

export async function deleteTeam(db: GantryDb, id: string): Promise<boolean> {
  const deleted = await db.delete(teams).where(eq(teams.id, id)).returning({ id: teams.id });
  return deleted.length > 0;
}
