import { and, desc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { memberships, notifications, users } from '../../db/schema/index.ts';

export type NotificationRow = typeof notifications.$inferSelect;
export type NewNotification = Omit<typeof notifications.$inferInsert, 'id' | 'createdAt'>;

/** Where the Notification policy's fields live, for `accessibleWhere`. */
export const notificationColumns = { id: notifications.id, userId: notifications.userId };

/**
 * Inserts notifications; one that already exists for its (user, kind, subject, occasion) is skipped, so
 * that the periodic job can run any number of times, in any number of processes. Returns those inserted.
 */
export async function insertMany(db: Db, values: NewNotification[]) {
  if (!values.length) return [];
  return db.insert(notifications).values(values).onConflictDoNothing().returning({ id: notifications.id });
}

/** A page of the caller's inbox, newest first; `visible` is the policy's read rule in SQL (own only). */
export function listVisible(
  db: Db,
  visible: SQL | undefined,
  f: { unread?: boolean; after?: { createdAt: string; id: string }; limit: number },
) {
  return db
    .select({
      n: notifications,
      createdAtKey: sql<string>`to_char(${notifications.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(notifications)
    .where(
      and(
        visible,
        f.unread ? isNull(notifications.readAt) : undefined,
        f.after
          ? sql`(${notifications.createdAt}, ${notifications.id}) < (${f.after.createdAt}::timestamptz, ${f.after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(f.limit);
}

/** How many of the visible notifications are unread. */
export async function unreadCount(db: Db, visible: SQL | undefined) {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(notifications)
    .where(and(visible, isNull(notifications.readAt)));
  return row.n;
}

export async function findById(db: Db, id: string) {
  const [row] = await db.select().from(notifications).where(eq(notifications.id, id));
  return row;
}

/** Marks read what `where` selects and is unread; returns how many changed. */
export async function markRead(db: Db, where: SQL | undefined, at: Date) {
  const rows = await db
    .update(notifications)
    .set({ readAt: at })
    .where(and(where, isNull(notifications.readAt)))
    .returning({ id: notifications.id });
  return rows.length;
}

/** The stewards and reviewers of a community (the people who decide its requests). */
export async function decidersOf(db: Db, communityId: string) {
  const rows = await db
    .selectDistinct({ id: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.communityId, communityId), inArray(memberships.role, ['steward', 'reviewer'])));
  return rows.map((r) => r.id);
}

/** The stewards of communities, by community id. */
export async function stewardsOf(db: Db, communityIds: string[]) {
  if (!communityIds.length) return new Map<string, string[]>();
  const rows = await db
    .select({ communityId: memberships.communityId, id: memberships.userId })
    .from(memberships)
    .where(and(inArray(memberships.communityId, communityIds), eq(memberships.role, 'steward')));
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.communityId, [...(out.get(r.communityId) ?? []), r.id]);
  return out;
}

/** Notifications older than this are not worth an e-mail any more (e.g. SMTP configured after months). */
const MAIL_MAX_AGE = '7 days';
/** A failing message is tried this many times, with growing back-off, then left for the inbox alone. */
export const MAIL_MAX_ATTEMPTS = 8;

/**
 * Claims up to `limit` notifications to e-mail, in a short transaction of its own: those not yet sent,
 * not given up on, whose back-off or another process's lease has passed. Claiming counts the attempt and
 * leases the row for `leaseSeconds` (`FOR UPDATE SKIP LOCKED`: two processes never claim the same row),
 * so that the sending happens after commit, outside any transaction. A process that dies while sending
 * leaves its rows to be claimed again when the lease ends (at-least-once delivery).
 */
export async function claimOutbox(db: Db, now: Date, limit: number, leaseSeconds: number) {
  const at = now.toISOString();
  return db.transaction(async (tx) => {
    const ids = await tx
      .select({ id: notifications.id })
      .from(notifications)
      .where(
        and(
          isNull(notifications.emailedAt),
          sql`${notifications.createdAt} > ${at}::timestamptz - interval '${sql.raw(MAIL_MAX_AGE)}'`,
          sql`${notifications.emailAttempts} < ${MAIL_MAX_ATTEMPTS}`,
          sql`(${notifications.emailNextAt} is null or ${notifications.emailNextAt} <= ${at}::timestamptz)`,
        ),
      )
      .orderBy(notifications.createdAt)
      .limit(limit)
      .for('update', { skipLocked: true });
    if (!ids.length) return [];
    const claimed = await tx
      .update(notifications)
      .set({
        emailAttempts: sql`${notifications.emailAttempts} + 1`,
        emailNextAt: sql`${at}::timestamptz + make_interval(secs => ${leaseSeconds})`,
      })
      .where(
        inArray(
          notifications.id,
          ids.map((r) => r.id),
        ),
      )
      .returning();
    const people = await tx
      .select({ id: users.id, email: users.email, name: users.name })
      .from(users)
      .where(
        inArray(
          users.id,
          claimed.map((n) => n.userId),
        ),
      );
    return claimed.map((n) => ({ n, to: people.find((p) => p.id === n.userId)! }));
  });
}

export async function markEmailed(db: Db, id: string, at: Date) {
  await db
    .update(notifications)
    .set({ emailedAt: at, emailNextAt: null, emailError: null })
    .where(eq(notifications.id, id));
}

export async function markEmailFailed(db: Db, id: string, retryAt: Date, error: string) {
  await db
    .update(notifications)
    .set({ emailNextAt: retryAt, emailError: error.slice(0, 500) })
    .where(eq(notifications.id, id));
}
