import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { apiTokens, users } from '../../db/schema/index.ts';
import { grantsInForce } from '../grants/grants.repo.ts';
import { membershipsJson } from '../users/users.repo.ts';

export async function insert(db: Db, values: typeof apiTokens.$inferInsert) {
  const [row] = await db.insert(apiTokens).values(values).returning();
  return row;
}

/** Where the Token policy's fields live, for `accessibleWhere`. */
export const tokenColumns = { id: apiTokens.id, userId: apiTokens.userId };

/** The caller's tokens: `visible` is the Token read rule in SQL (own tokens only). */
export function listVisible(db: Db, visible: SQL | undefined) {
  return db.select().from(apiTokens).where(visible).orderBy(apiTokens.createdAt);
}

export async function findById(db: Db, id: string) {
  const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
  return row;
}

export async function remove(db: Db, id: string) {
  await db.delete(apiTokens).where(eq(apiTokens.id, id));
}

/**
 * The fields of a token's principal (see `PrincipalRow`), for a select that joins `api_tokens` and
 * `users`; memberships and grants in force as JSON text.
 */
export const tokenPrincipalFields = {
  tokenId: apiTokens.id,
  scopes: apiTokens.scopes,
  lastUsedAt: apiTokens.lastUsedAt,
  userId: users.id,
  isAdmin: users.isAdmin,
  memberships: sql<string>`${membershipsJson(users.id)}::text`,
  grants: sql<string>`${grantsInForce(users.id)}::text`,
};

/** The join condition that finds a token by its hash (placeholder `hash`), unexpired. */
export const tokenByHash = and(
  eq(apiTokens.tokenHash, sql.placeholder('hash')),
  sql`${apiTokens.expiresAt} > now()`,
);

const principalByHash = (db: Db) =>
  db
    .select(tokenPrincipalFields)
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(tokenByHash)
    .prepare('token_principal_by_hash');

const prepared = new WeakMap<Db, ReturnType<typeof principalByHash>>();

/** The token's user, memberships and scopes in one prepared round trip; undefined when unknown or expired. */
export async function findPrincipalByHash(db: Db, hash: string) {
  let q = prepared.get(db);
  if (!q) {
    q = principalByHash(db);
    prepared.set(db, q);
  }
  const rows = await q.execute({ hash });
  return rows[0];
}

export async function touch(db: Db, id: string) {
  await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, id));
}
