import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { communities, memberships, users } from '../../db/schema/index.ts';

export type CommunityRow = typeof communities.$inferSelect;

export async function findBySlug(db: Db, slug: string) {
  const [row] = await db.select().from(communities).where(eq(communities.slug, slug));
  return row;
}

export function list(db: Db) {
  return db.select().from(communities).orderBy(asc(communities.name));
}

/** Inserts unless the slug is taken; undefined when it is. */
export async function insert(db: Db, values: typeof communities.$inferInsert) {
  const [row] = await db.insert(communities).values(values).onConflictDoNothing().returning();
  return row;
}

/** Adds a role; false when the user already held it. */
export async function addMembership(
  db: Db,
  communityId: string,
  userId: string,
  role: (typeof memberships.$inferInsert)['role'],
) {
  const rows = await db
    .insert(memberships)
    .values({ communityId, userId, role })
    .onConflictDoNothing()
    .returning();
  return rows.length === 1;
}

/** A community's members, one row per role held, by role then name. */
export function listMembers(db: Db, communityId: string) {
  return db
    .select({
      userId: users.id,
      name: users.name,
      email: users.email,
      role: memberships.role,
      since: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.communityId, communityId))
    .orderBy(asc(memberships.role), asc(users.name), asc(users.email));
}

export async function update(db: Db, id: string, values: Partial<typeof communities.$inferInsert>) {
  const [row] = await db
    .update(communities)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(communities.id, id))
    .returning();
  return row;
}
