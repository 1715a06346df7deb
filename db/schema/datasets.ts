import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { id, timestamps } from '../columns.ts';
import { communities } from './communities.ts';
import { accessTier, datasetStatus, fileStatus, licenceStatus, releaseStatus } from './enums.ts';
import { users } from './users.ts';

export interface Provenance {
  sources?: string[];
  collectionMethod?: string;
  consentBasis?: string;
}
/** The Croissant RAI facts. */
export interface ResponsibleAi {
  biases?: string;
  limitations?: string;
  sensitiveInformation?: string;
  intendedUses?: string;
  socialImpact?: string;
}
export interface LocalContextsLabel {
  kind: 'TK' | 'BC' | 'notice';
  type: string;
  text: string;
  hubProjectId?: string;
}

/** PostgreSQL's text search document type (drizzle has no built-in for it). */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** A dataset, owned by one community. Its slug is unique on the instance (it is the public URL). */
export const datasets = pgTable(
  'datasets',
  {
    id: id(),
    communityId: uuid('community_id')
      .notNull()
      .references(() => communities.id, { onDelete: 'restrict' }),
    slug: text('slug').notNull(),
    title: text('title').notNull(),
    summary: text('summary').notNull().default(''),
    description: text('description').notNull().default(''),
    keywords: text('keywords').array().notNull().default(sql`'{}'::text[]`),
    languages: text('languages').array().notNull().default(sql`'{}'::text[]`),
    spatialCoverage: text('spatial_coverage'),
    temporalCoverage: jsonb('temporal_coverage').$type<{ start?: string; end?: string }>(),
    provenance: jsonb('provenance').$type<Provenance>().notNull().default(sql`'{}'::jsonb`),
    responsibleAi: jsonb('responsible_ai').$type<ResponsibleAi>().notNull().default(sql`'{}'::jsonb`),
    labels: jsonb('labels').$type<LocalContextsLabel[]>().notNull().default(sql`'[]'::jsonb`),
    /** Public AI-use preference (`train-ai=y|n`); null until the steward states it. */
    trainAi: boolean('train_ai'),
    tier: accessTier('tier').notNull().default('open'),
    status: datasetStatus('status').notNull().default('draft'),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    withdrawnAt: timestamp('withdrawn_at', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    ...timestamps(),
    /**
     * The catalog's search document, kept by the database: stemmed in the configuration of the
     * dataset's first language plus plain words (functions in migration 0002_catalog_search_functions).
     */
    search: tsvector('search')
      .notNull()
      .generatedAlwaysAs(sql`catalog_search_vector(title, summary, keywords, description, languages)`),
    /**
     * Parts of the search document without the description (migration
     * 0005_catalog_search_head_functions): title and keywords, the only part the catalog ranks; and
     * title, keywords and summary. Small and inline, so tiering and ranking on them is cheap;
     * `search` alone decides what matches.
     */
    searchTitle: tsvector('search_title')
      .notNull()
      .generatedAlwaysAs(sql`catalog_search_title(title, keywords, languages)`),
    searchHead: tsvector('search_head')
      .notNull()
      .generatedAlwaysAs(sql`catalog_search_head(title, summary, keywords, languages)`),
    /** Every hyphen-prefix of every language tag, lower-cased (`mi-NZ` → `mi`, `mi-nz`): the language filter's key. */
    languageKeys: text('language_keys')
      .array()
      .notNull()
      .generatedAlwaysAs(sql`catalog_language_keys(languages)`),
  },
  (t) => [
    uniqueIndex('datasets_slug_key').on(t.slug),
    index('datasets_community_id_idx').on(t.communityId),
    index('datasets_status_tier_idx').on(t.status, t.tier),
    index('datasets_search_idx').using('gin', t.search),
    index('datasets_search_title_idx').using('gin', t.searchTitle),
    index('datasets_search_head_idx').using('gin', t.searchHead),
    index('datasets_language_keys_idx').using('gin', t.languageKeys),
    index('datasets_labels_idx').using('gin', t.labels.op('jsonb_path_ops')),
    // The catalog's order (newest first, id breaking ties), walked backwards by keyset pagination.
    // Ascending on purpose: read backwards it is `desc nulls first`, what `order by … desc` means.
    index('datasets_catalog_order_idx').on(t.createdAt, t.id),
  ],
);

/**
 * The catalog's narrow copy of each dataset: what ranking a text query's strongest matches (title and
 * keywords) and the catalog's filters read, ~250 bytes a row (25 MB at 100,000) where `datasets` rows
 * are kilobytes, so ranking the thousands of datasets a common word matches reads few pages. Kept by
 * the database: a trigger on `datasets` writes it in the same statement (migration
 * 0015_catalog_entries_sync), and deleting the dataset deletes it.
 */
export const catalogEntries = pgTable(
  'catalog_entries',
  {
    datasetId: uuid('dataset_id')
      .primaryKey()
      .references(() => datasets.id, { onDelete: 'cascade', onUpdate: 'cascade' }),
    communityId: uuid('community_id').notNull(),
    status: datasetStatus('status').notNull(),
    tier: accessTier('tier').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** `datasets.language_keys`. */
    languageKeys: text('language_keys').array().notNull(),
    /** The type of each Local Contexts label (`datasets.labels[].type`): the label filter's key. */
    labelTypes: text('label_types').array().notNull(),
    /** `datasets.search_title`: title (A) and keywords (B), what tier 1 matches and ranks. */
    searchTitle: tsvector('search_title').notNull(),
  },
  // No GIN pending list: every search would scan it (up to 4 MB) until a vacuum merged it in; the
  // catalog is read far more often than written.
  (t) => [index('catalog_entries_search_title_idx').using('gin', t.searchTitle).with({ fastupdate: 'off' })],
);

/** A version of a dataset; immutable once published. */
export const releases = pgTable(
  'releases',
  {
    id: id(),
    datasetId: uuid('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    tag: text('tag').notNull(),
    notes: text('notes').notNull().default(''),
    status: releaseStatus('status').notNull().default('draft'),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    ...timestamps(),
  },
  (t) => [uniqueIndex('releases_dataset_tag_key').on(t.datasetId, t.tag)],
);

/** A file in a release. `tier` overrides the dataset's tier when set (e.g. an open sample of a gated set). */
export const files = pgTable(
  'files',
  {
    id: id(),
    releaseId: uuid('release_id')
      .notNull()
      .references(() => releases.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    mediaType: text('media_type').notNull(),
    sha256: text('sha256').notNull(),
    /** Server-made; never derived from the file name. */
    storageKey: text('storage_key').notNull(),
    tier: accessTier('tier'),
    status: fileStatus('status').notNull().default('pending'),
    /** Set while a multipart upload is open. */
    uploadId: text('upload_id'),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('files_storage_key_key').on(t.storageKey),
    uniqueIndex('files_release_name_key').on(t.releaseId, t.name),
  ],
);

export interface ReciprocityTerm {
  kind:
    | 'attribute'
    | 'report-use'
    | 'share-derived-data'
    | 'share-model'
    | 'publish-results'
    | 'notify-before-publication'
    | 'contribute-funds'
    | 'return-results-to-community'
    | 'delete-at-end';
  timing: 'before-download' | 'after-grant' | 'every-n-months' | 'at-end';
  dueDays?: number;
  everyMonths?: number;
  evidence?: 'link' | 'text' | 'file';
  description?: string;
}
export type DecisionRule = { rule: 'single' } | { rule: 'quorum'; k: number; n?: number; veto?: boolean };
export interface FormField {
  name: string;
  label: string;
  type: 'text' | 'choice' | 'checkbox' | 'date' | 'country';
  required?: boolean;
  options?: string[];
}

/** A social licence version of a dataset; immutable once published. */
export const licenceVersions = pgTable(
  'licence_versions',
  {
    id: id(),
    datasetId: uuid('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    base: text('base').notNull(),
    text: text('text').notNull(),
    purposes: text('purposes').array().notNull().default(sql`'{}'::text[]`),
    duo: text('duo').array().notNull().default(sql`'{}'::text[]`),
    prohibitions: text('prohibitions').array().notNull().default(sql`'{}'::text[]`),
    constraints: jsonb('constraints').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    reciprocity: jsonb('reciprocity').$type<ReciprocityTerm[]>().notNull().default(sql`'[]'::jsonb`),
    decision: jsonb('decision').$type<DecisionRule>().notNull().default(sql`'{"rule":"single"}'::jsonb`),
    autoApprove: boolean('auto_approve').notNull().default(false),
    maxGrantDays: integer('max_grant_days'),
    fields: jsonb('fields').$type<FormField[]>().notNull().default(sql`'[]'::jsonb`),
    status: licenceStatus('status').notNull().default('published'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    withdrawnAt: timestamp('withdrawn_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('licence_versions_dataset_version_key').on(t.datasetId, t.version)],
);
