import { sql } from 'drizzle-orm';
import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id } from '../columns.ts';
import { users } from './users.ts';

/**
 * A message to one user: shown in their inbox, and e-mailed when SMTP is configured. The table is also
 * the e-mail outbox: a row with `emailed_at` null is sent after its transaction committed (by the
 * periodic job), retried with back-off, so mail is never sent from inside a transaction nor lost while
 * the SMTP server is down.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** `request.submitted`, `request.approved`, `request.denied`, `request.returned`, `obligation.due_soon`, `obligation.overdue`, `grant.expiring`. */
    kind: text('kind').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: uuid('subject_id').notNull(),
    /**
     * For notices the periodic job sends, the date they warn of (an obligation's due date, a grant's end),
     * so that each is sent once per user and date, whichever process runs the job and however often — and
     * again after a renewal moves the date. Null for notices of an act (each act notifies once, in its
     * own transaction).
     */
    occasion: timestamp('occasion', { withTimezone: true }),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    /** A path of the web app (`/grants/…`), made absolute with PUBLIC_URL in e-mails. */
    link: text('link').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    readAt: timestamp('read_at', { withTimezone: true }),
    emailedAt: timestamp('emailed_at', { withTimezone: true }),
    emailAttempts: integer('email_attempts').notNull().default(0),
    /** Not before: set while one process sends it (a lease) and after a failure (back-off). */
    emailNextAt: timestamp('email_next_at', { withTimezone: true }),
    emailError: text('email_error'),
  },
  (t) => [
    uniqueIndex('notifications_once_key').on(t.subjectId, t.kind, t.occasion, t.userId),
    index('notifications_user_created_idx').on(t.userId, t.createdAt.desc(), t.id.desc()),
    index('notifications_user_unread_idx').on(t.userId).where(sql`read_at is null`),
    index('notifications_outbox_idx').on(t.createdAt).where(sql`emailed_at is null`),
  ],
);
