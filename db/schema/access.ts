import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { id, timestamps } from '../columns.ts';
import { datasets, licenceVersions } from './datasets.ts';
import {
  derivedWorkKind,
  grantKind,
  grantScope,
  grantStatus,
  matchResult,
  obligationStatus,
  requestStatus,
  reviewDecision,
} from './enums.ts';
import { users } from './users.ts';

/** A request for access to a dataset, for a declared purpose, under an accepted licence version. */
export const accessRequests = pgTable(
  'access_requests',
  {
    id: id(),
    datasetId: uuid('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    requesterId: uuid('requester_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Co-grantees named by the requester. */
    teamUserIds: uuid('team_user_ids').array().notNull().default(sql`'{}'::uuid[]`),
    scope: jsonb('scope')
      .$type<{ releases?: string[]; files?: string[] }>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    purposeCategory: text('purpose_category').notNull(),
    purposeDescription: text('purpose_description').notNull(),
    commercial: boolean('commercial').notNull(),
    forProfit: boolean('for_profit').notNull(),
    intendedOutputs: text('intended_outputs').notNull().default(''),
    requestedDays: integer('requested_days'),
    answers: jsonb('answers').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    licenceVersionId: uuid('licence_version_id')
      .notNull()
      .references(() => licenceVersions.id, { onDelete: 'restrict' }),
    licenceAcceptedAt: timestamp('licence_accepted_at', { withTimezone: true }).notNull(),
    status: requestStatus('status').notNull().default('submitted'),
    statusReason: text('status_reason'),
    statusChangedAt: timestamp('status_changed_at', { withTimezone: true }).notNull().defaultNow(),
    matchResult: matchResult('match_result').notNull(),
    matchReasons: jsonb('match_reasons').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    /** The review round: 1, then one more per resubmission after a return (reviews count per round). */
    round: integer('round').notNull().default(1),
    ...timestamps(),
  },
  (t) => [
    index('access_requests_dataset_status_idx').on(t.datasetId, t.status),
    index('access_requests_requester_idx').on(t.requesterId),
    // One open request per requester and dataset: the database holds it even under concurrent submits.
    uniqueIndex('access_requests_one_open_key')
      .on(t.datasetId, t.requesterId)
      .where(sql`status in ('submitted', 'in_review', 'returned')`),
  ],
);

/** One reviewer's decision on a request. */
export const reviews = pgTable(
  'reviews',
  {
    id: id(),
    requestId: uuid('request_id')
      .notNull()
      .references(() => accessRequests.id, { onDelete: 'cascade' }),
    reviewerId: uuid('reviewer_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Reviews are counted per round: a resubmitted request starts a new round. */
    round: integer('round').notNull().default(1),
    decision: reviewDecision('decision').notNull(),
    comment: text('comment').notNull().default(''),
    conflictOfInterest: text('conflict_of_interest'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('reviews_request_reviewer_round_key').on(t.requestId, t.reviewerId, t.round)],
);

/** The agreement that results from a request (or a click-through acceptance of a `registered` licence). */
export const grants = pgTable(
  'grants',
  {
    id: id(),
    datasetId: uuid('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    requestId: uuid('request_id').references(() => accessRequests.id, { onDelete: 'set null' }),
    kind: grantKind('kind').notNull(),
    licenceVersionId: uuid('licence_version_id')
      .notNull()
      .references(() => licenceVersions.id, { onDelete: 'restrict' }),
    scopeType: grantScope('scope_type').notNull().default('dataset'),
    /** The release or file id when the scope is narrower than the dataset. */
    scopeIds: uuid('scope_ids').array().notNull().default(sql`'{}'::uuid[]`),
    purposeCategory: text('purpose_category'),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    status: grantStatus('status').notNull().default('active'),
    statusReason: text('status_reason'),
    /** The signed ODRL Agreement (JWS compact serialisation) and its SHA-256. */
    agreementJws: text('agreement_jws'),
    agreementHash: text('agreement_hash'),
    ...timestamps(),
  },
  (t) => [
    index('grants_dataset_status_idx').on(t.datasetId, t.status),
    // One grant per request: two approvals racing cannot issue two (the row lock is the first guard).
    uniqueIndex('grants_request_key').on(t.requestId),
  ],
);

/** Who a grant covers: the requester and any named team members. */
export const grantees = pgTable(
  'grantees',
  {
    grantId: uuid('grant_id')
      .notNull()
      .references(() => grants.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.grantId, t.userId] }), index('grantees_user_idx').on(t.userId)],
);

/** An instance of a reciprocity term on one grant. */
export const obligations = pgTable(
  'obligations',
  {
    id: id(),
    grantId: uuid('grant_id')
      .notNull()
      .references(() => grants.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    timing: text('timing').notNull(),
    evidenceKind: text('evidence_kind'),
    dueAt: timestamp('due_at', { withTimezone: true }),
    status: obligationStatus('status').notNull().default('pending'),
    evidence: jsonb('evidence').$type<{
      link?: string;
      text?: string;
      /** An uploaded file: its server-made storage key, its name (data, never a path), size and type. */
      fileKey?: string;
      fileName?: string;
      fileSize?: number;
      fileType?: string;
      /**
       * Set once the file is sealed (first fetched or verified): `fileKey` is then a server-made copy no
       * signed PUT names, and this its SHA-256 (hex).
       */
      fileSha256?: string;
      /** A derived work registered under the grant that meets the term (share-model, share-derived-data). */
      derivedWorkId?: string;
    }>(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
    verifiedBy: uuid('verified_by').references(() => users.id, { onDelete: 'set null' }),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    /** Why a steward waived the obligation or sent its evidence back (shown to the grantee). */
    statusReason: text('status_reason'),
    ...timestamps(),
  },
  (t) => [
    index('obligations_grant_idx').on(t.grantId),
    index('obligations_status_due_idx').on(t.status, t.dueAt),
  ],
);

/** A model, dataset, paper or application built under a grant. */
export const derivedWorks = pgTable(
  'derived_works',
  {
    id: id(),
    grantId: uuid('grant_id')
      .notNull()
      .references(() => grants.id, { onDelete: 'cascade' }),
    datasetId: uuid('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    kind: derivedWorkKind('kind').notNull(),
    title: text('title').notNull(),
    url: text('url'),
    description: text('description').notNull().default(''),
    registeredBy: uuid('registered_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('derived_works_dataset_idx').on(t.datasetId)],
);
