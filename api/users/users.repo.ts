import { and, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/index.ts';
import { communities, memberships, users } from '../../db/schema/index.ts';
import type { Membership } from '../../policies/index.ts';
import { grantsInForce } from '../grants/grants.repo.ts';

export type UserRow = typeof users.$inferSelect;

export function findById(db: Db, id: string) {
  return db.query.users.findFirst({ where: eq(users.id, id) });
}

export function findByEmail(db: Db, email: string) {
  return db.query.users.findFirst({ where: sql`lower(${users.email}) = lower(${email})` });
}

export function findByIdentity(db: Db, issuer: string, subject: string) {
  return db.query.users.findFirst({ where: and(eq(users.issuer, issuer), eq(users.subject, subject)) });
}

/** Binds an identity to a user created ahead of sign-in (by e-mail) who has none yet. */
export async function bindIdentity(db: Db, id: string, issuer: string, subject: string) {
  const [row] = await db
    .update(users)
    .set({ issuer, subject, updatedAt: sql`now()` })
    .where(and(eq(users.id, id), isNull(users.subject)))
    .returning();
  return row;
}

export async function insert(db: Db, values: typeof users.$inferInsert) {
  const [row] = await db.insert(users).values(values).returning();
  return row;
}

export async function updateProfile(db: Db, id: string, values: Partial<typeof users.$inferInsert>) {
  const [row] = await db
    .update(users)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(users.id, id))
    .returning();
  return row;
}

export function membershipsWithCommunity(db: Db, userId: string) {
  return db
    .select({ communitySlug: communities.slug, communityName: communities.name, role: memberships.role })
    .from(memberships)
    .innerJoin(communities, eq(communities.id, memberships.communityId))
    .where(eq(memberships.userId, userId))
    .orderBy(communities.name);
}

/** A user's memberships as a JSON array, for the principal queries. */
export function membershipsJson(userId: AnyPgColumn | SQL): SQL<Membership[]> {
  return sql<
    Membership[]
  >`coalesce((select json_agg(json_build_object('communityId', m.community_id, 'role', m.role)) from ${memberships} m where m.user_id = ${userId}), '[]'::json)`;
}

// Drizzle leaves columns unqualified in a one-table select; the subqueries need "users"."id".
const qualifiedUserId = sql`${users}.${sql.identifier('id')}`;

/** The user, their memberships and grants in force (as JSON text), in one round trip (the authentication hot path). */
export async function loadPrincipal(db: Db, userId: string) {
  const rows = await db
    .select({
      id: users.id,
      isAdmin: users.isAdmin,
      memberships: sql<string>`${membershipsJson(qualifiedUserId)}::text`,
      grants: sql<string>`${grantsInForce(qualifiedUserId)}::text`,
    })
    .from(users)
    .where(eq(users.id, userId));
  return (
    rows[0] && {
      userId: rows[0].id,
      isAdmin: rows[0].isAdmin,
      memberships: rows[0].memberships,
      grants: rows[0].grants,
    }
  );
}
