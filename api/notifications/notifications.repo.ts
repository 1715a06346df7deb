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
 * A claimed row's lease: its end, in whole milliseconds so that the JS Date read back compares equal in
 * SQL. It is also the claim's token: each claim or renewal writes a new end (from the database's clock,
 * at that moment), so a process whose lease passed and was taken over finds the row changed and records
 * nothing over the new holder's claim.
 */
const leaseEnd = (seconds: number) =>
  sql`date_trunc('milliseconds', now()) + make_interval(secs => ${seconds})`;

/** The row is still claimed by the holder of `lease` (and not sent). */
const holds = (id: string, lease: Date) =>
  and(eq(notifications.id, id), eq(notifications.emailNextAt, lease), isNull(notifications.emailedAt));

/**
 * Claims up to `limit` notifications to e-mail, in a short transaction of its own: those not yet sent,
 * not given up on, whose back-off or another process's lease has passed by `now` (the run's time).
 * Claiming counts the attempt and leases the row until `leaseSeconds` after the database's clock at the
 * claim (`FOR UPDATE SKIP LOCKED`: two processes never claim the same row at once), so that the sending
 * happens after commit, outside any transaction. Each row's `emailNextAt` is its lease token (see
 * `leaseEnd`): the sender renews it right before sending (`renewLease`) and records the outcome only
 * while it still holds it. Delivery is at-least-once: a process that dies, or stalls past its lease
 * while sending, leaves the row to be claimed and sent again by another.
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
        emailNextAt: leaseEnd(leaseSeconds),
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
    return claimed.map((n) => ({ n, lease: n.emailNextAt!, to: people.find((p) => p.id === n.userId)! }));
  });
}

/**
 * Extends the lease of a row still held with `lease` to `leaseSeconds` from now (the database's clock),
 * returning the new lease; undefined when the row was taken over by another process (or sent).
 */
export async function renewLease(db: Db, id: string, lease: Date, leaseSeconds: number) {
  const [row] = await db
    .update(notifications)
    .set({ emailNextAt: leaseEnd(leaseSeconds) })
    .where(holds(id, lease))
    .returning({ lease: notifications.emailNextAt });
  return row?.lease ?? undefined;
}

/** Records the e-mail sent, if the row is still held with `lease`; false when another process holds it. */
export async function markEmailed(db: Db, id: string, lease: Date, at: Date) {
  const rows = await db
    .update(notifications)
    .set({ emailedAt: at, emailNextAt: null, emailError: null })
    .where(holds(id, lease))
    .returning({ id: notifications.id });
  return rows.length > 0;
}

/** Records a failed attempt and its back-off, if the row is still held with `lease`. */
export async function markEmailFailed(db: Db, id: string, lease: Date, retryAt: Date, error: string) {
  const rows = await db
    .update(notifications)
    .set({ emailNextAt: retryAt, emailError: error.slice(0, 500) })
    .where(holds(id, lease))
    .returning({ id: notifications.id });
  return rows.length > 0;
}

/** Gives back a claimed row not attempted (the process is stopping): free at once, the attempt uncounted. */
export async function releaseClaim(db: Db, id: string, lease: Date) {
  await db
    .update(notifications)
    .set({ emailNextAt: null, emailAttempts: sql`greatest(${notifications.emailAttempts} - 1, 0)` })
    .where(holds(id, lease));
}
