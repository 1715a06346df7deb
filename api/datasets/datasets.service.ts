import { ForbiddenError } from '@casl/ability';
import { z } from 'zod';
import { accessibleWhere } from '../../policies/index.ts';
import { labelSuggestions, labelType } from '../../policies/local-contexts.ts';
import { broaderChain } from '../../policies/purposes.ts';
import { subjectOf } from '../../policies/subject.ts';
import { record } from '../audit/audit.ts';
import { CursorTime } from '../common.schema.ts';
import * as communitiesRepo from '../communities/communities.repo.ts';
import type { Ctx } from '../context.ts';
import { decodeCursor, encodeCursor, invalidCursor } from '../cursor.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import * as filesRepo from '../files/files.repo.ts';
import { licenceSubject } from '../licences/licences.present.ts';
import { currentLicence } from '../licences/licences.repo.ts';
import * as releasesRepo from '../releases/releases.repo.ts';
import { datasetSubject } from './datasets.present.ts';
import * as repo from './datasets.repo.ts';
import type { CreateDataset, ListDatasets, UpdateDataset } from './datasets.schema.ts';
import { queryConfigs } from './search-config.ts';

/**
 * Loads a dataset the caller may read, else 404 — not 403: the existence of a closed or unpublished
 * dataset is itself not for outsiders.
 */
export async function loadReadable(ctx: Ctx, slug: string) {
  const d = await repo.findBySlug(ctx.db, slug);
  if (!d || !ctx.ability.can('read', subjectOf('Dataset', datasetSubject(d)))) throw notFound('dataset');
  return d;
}

export async function getDataset(ctx: Ctx, slug: string) {
  const d = await loadReadable(ctx, slug);
  const rels = await releasesRepo.listForDataset(
    ctx.db,
    d.id,
    accessibleWhere(ctx.ability, 'read', 'Release', releasesRepo.releaseColumns),
  );
  const fileRows = await filesRepo.listForReleases(
    ctx.db,
    rels.map((r) => r.id),
    accessibleWhere(ctx.ability, 'read', 'File', filesRepo.fileColumns),
  );
  const licence = await currentLicence(ctx.db, d.id);
  return {
    d,
    rels: rels.map((release) => ({ release, files: fileRows.filter((f) => f.releaseId === release.id) })),
    licence:
      licence && ctx.ability.can('read', subjectOf('LicenceVersion', licenceSubject(d, licence)))
        ? licence
        : undefined,
  };
}

// A plain listing's cursor is `{ t, i }`; a text query's adds its tier `k` (repo.SearchTier) and,
// in tier 1, the rank `r`.
const Cursor = z.union([
  z.strictObject({ k: z.literal(1).optional(), r: z.number().finite(), t: CursorTime, i: z.uuid() }),
  z.strictObject({ k: z.union([z.literal(2), z.literal(3)]), t: CursorTime, i: z.uuid() }),
  z.strictObject({ t: CursorTime, i: z.uuid() }),
]);

/** The opaque cursor: the sort key of a page's last row. */
const encodeListCursor = (row: repo.CatalogRow, ranked: boolean) =>
  encodeCursor(
    !ranked
      ? { t: row.createdAtKey, i: row.id }
      : row.searchTier === 1
        ? { k: 1, r: row.rank, t: row.createdAtKey, i: row.id }
        : { k: row.searchTier, t: row.createdAtKey, i: row.id },
  );

function decodeListCursor(cursor: string, ranked: boolean): repo.ListFilter['after'] {
  const d = decodeCursor(cursor, Cursor);
  // A text query's cursor belongs to a text query, a listing's to a plain listing. (A cursor given
  // out before the tiers, `{ r, t, i }`, still pages a text query: it is in tier 1.)
  if (('k' in d || 'r' in d) !== ranked) throw invalidCursor();
  return {
    tier: ranked ? ('k' in d && d.k ? d.k : 1) : undefined,
    rank: 'r' in d ? d.r : undefined,
    createdAt: d.t,
    id: d.i,
  };
}

/**
 * The catalog query for a caller and a parsed `GET /datasets` (exposed for the bench's EXPLAIN). The
 * text query is parsed with the stemmers of the languages asked for: the `language` filter first,
 * then `readerLanguages` (from `Accept-Language`).
 */
export async function catalogFilter(
  ctx: Pick<Ctx, 'ability' | 'db'>,
  q: ListDatasets,
  readerLanguages: string[] = [],
): Promise<repo.ListFilter> {
  const ranked = Boolean(q.q);
  const language = q.language?.toLowerCase();
  // The cursor first: a bad one costs no query.
  const after = q.cursor ? decodeListCursor(q.cursor, ranked) : undefined;
  return {
    visible: (columns) => accessibleWhere(ctx.ability, 'read', 'Dataset', columns),
    publishedOnly: !q.includeDrafts,
    tsquery: q.q
      ? await repo.parseTextQuery(
          ctx.db,
          q.q,
          queryConfigs(language ? [language, ...readerLanguages] : readerLanguages),
        )
      : undefined,
    tier: q.tier,
    communitySlug: q.community,
    purposes: q.purpose ? broaderChain(q.purpose) : undefined,
    labelType: q.label,
    language,
    after,
    limit: q.limit + 1,
  };
}

/**
 * The catalog: what the caller may read (the policy, in SQL), narrowed by the filters and ordered by
 * relevance to the text query (tiers, see `repo.tierQuery`).
 */
export async function listDatasets(ctx: Ctx, q: ListDatasets, readerLanguages: string[] = []) {
  const rows = await repo.list(ctx.db, await catalogFilter(ctx, q, readerLanguages));
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > q.limit && last ? encodeListCursor(last, Boolean(q.q)) : null;
  return { rows: page, nextCursor };
}

export async function createDataset(ctx: Ctx, input: CreateDataset) {
  return ctx.db.transaction(async (tx) => {
    const community = await communitiesRepo.findBySlug(tx, input.community);
    if (!community) throw notFound('community');
    ForbiddenError.from(ctx.ability).throwUnlessCan(
      'create',
      subjectOf('Dataset', { id: '', communityId: community.id, status: 'draft', tier: input.tier }),
    );
    const row = await repo.insert(tx, {
      communityId: community.id,
      slug: input.slug,
      title: input.title,
      summary: input.summary,
      description: input.description,
      tier: input.tier,
      keywords: input.keywords,
      languages: input.languages,
      createdBy: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
    });
    if (!row) throw conflict('dataset_exists', `A dataset with slug "${input.slug}" already exists.`);
    await record(tx, ctx, 'dataset.created', {
      subjectType: 'Dataset',
      subjectId: row.id,
      communityId: community.id,
      datasetId: row.id,
      details: { slug: row.slug, tier: row.tier },
    });
    return { ...row, communitySlug: community.slug, communityName: community.name };
  });
}

type Transition = 'update' | 'publish' | 'withdraw';

async function act(
  ctx: Ctx,
  slug: string,
  action: Transition,
  change: (d: repo.DatasetWithCommunity) => Parameters<typeof repo.update>[2],
  details: (d: repo.DatasetWithCommunity) => Record<string, unknown>,
) {
  return ctx.db.transaction(async (tx) => {
    const d = await loadReadable({ ...ctx, db: tx }, slug);
    ForbiddenError.from(ctx.ability).throwUnlessCan(action, subjectOf('Dataset', datasetSubject(d)));
    const row = await repo.update(tx, d.id, change(d));
    const verb = action === 'update' ? 'updated' : action === 'publish' ? 'published' : 'withdrawn';
    await record(tx, ctx, `dataset.${verb}`, {
      subjectType: 'Dataset',
      subjectId: d.id,
      communityId: d.communityId,
      datasetId: d.id,
      details: details(d),
    });
    return { ...row, communitySlug: d.communitySlug, communityName: d.communityName };
  });
}

/**
 * Checks labels against the Local Contexts vocabulary and writes each type in its Local Contexts spelling;
 * the community's text and Hub project id are kept exactly as sent.
 */
export function checkLabels(labels: UpdateDataset['labels'] & {}) {
  const seen = new Set<string>();
  return labels.map((l, index) => {
    const t = labelType(l.type);
    if (!t)
      throw badRequest(
        'unknown_label_type',
        `"${l.type}" is not a Local Contexts Label or Notice (see GET /local-contexts/labels).`,
        { index, type: l.type },
      );
    if (t.kind !== l.kind)
      throw badRequest('label_kind_mismatch', `"${t.name}" is a ${t.kind} label, not ${l.kind}.`, {
        index,
        type: t.name,
        kind: t.kind,
      });
    if (seen.has(t.name)) throw badRequest('duplicate_label', `"${t.name}" is attached twice.`, { index });
    seen.add(t.name);
    return { ...l, type: t.name };
  });
}

export function updateDataset(ctx: Ctx, slug: string, input: UpdateDataset) {
  const change = input.labels ? { ...input, labels: checkLabels(input.labels) } : input;
  return act(
    ctx,
    slug,
    'update',
    () => change,
    () => ({
      fields: Object.keys(input),
      ...('tier' in input ? { tier: input.tier } : {}),
      ...(change.labels ? { labels: change.labels.map((l) => l.type) } : {}),
    }),
  );
}

/** The terms the dataset's labels suggest, and which its tier and current licence already carry. */
export async function getLabelSuggestions(ctx: Ctx, slug: string) {
  const d = await loadReadable(ctx, slug);
  const licence = await currentLicence(ctx.db, d.id);
  const readable =
    licence && ctx.ability.can('read', subjectOf('LicenceVersion', licenceSubject(d, licence)))
      ? licence
      : undefined;
  return labelSuggestions(d.labels, { tier: d.tier, licence: readable });
}

export function publishDataset(ctx: Ctx, slug: string) {
  return act(
    ctx,
    slug,
    'publish',
    (d) => {
      if (d.status === 'published') throw conflict('already_published', 'The dataset is already published.');
      return { status: 'published', publishedAt: ctx.now, withdrawnAt: null };
    },
    (d) => ({ from: d.status }),
  );
}

export function withdrawDataset(ctx: Ctx, slug: string) {
  return act(
    ctx,
    slug,
    'withdraw',
    (d) => {
      if (d.status !== 'published')
        throw conflict('not_published', 'Only a published dataset can be withdrawn.');
      return { status: 'withdrawn', withdrawnAt: ctx.now };
    },
    () => ({}),
  );
}
