import { boolean, index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id, timestamps } from '../columns.ts';
import { communityRole } from './enums.ts';
import { users } from './users.ts';

/** The steward body: an Indigenous community, a cooperative, a library, a public body. */
export const communities = pgTable(
  'communities',
  {
    id: id(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** The community opted in to a public transparency page. */
    transparencyPublic: boolean('transparency_public').notNull().default(false),
    /** The community shares its usage reports with its members (and reviewers). */
    reportsSharedWithMembers: boolean('reports_shared_with_members').notNull().default(false),
    ...timestamps(),
  },
  (t) => [uniqueIndex('communities_slug_key').on(t.slug)],
);

/** A user's role in a community; one row per role held. */
export const memberships = pgTable(
  'memberships',
  {
    communityId: uuid('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: communityRole('role').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.communityId, t.userId, t.role] }),
    // A user's memberships are read on every authenticated request (users.repo membershipsJson); the
    // primary key leads with the community, so without this each request scanned the whole table.
    index('memberships_user_idx').on(t.userId),
  ],
);
