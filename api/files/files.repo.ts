import { and, asc, eq, getTableColumns, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { SelectResultFields } from 'drizzle-orm/query-builders/select.types';
import { directSelect } from '../../db/direct-select.ts';
import type { Db } from '../../db/index.ts';
import {
  apiTokens,
  communities,
  datasets,
  files,
  licenceVersions,
  releases,
  users,
} from '../../db/schema/index.ts';
import { type CountedHit, hitParams, hitStatement } from '../middleware/rate-limit.repo.ts';
import { tokenByHash, tokenPrincipalFields } from '../tokens/tokens.repo.ts';

export type FileRow = typeof files.$inferSelect;

/** Where the File policy's fields live (a file joined to its release and dataset), for `accessibleWhere`. */
export const fileColumns = {
  id: files.id,
  communityId: datasets.communityId,
  datasetId: datasets.id,
  releaseId: files.releaseId,
  tier: sql`coalesce(${files.tier}, ${datasets.tier})`,
  datasetTier: datasets.tier,
  status: files.status,
  releaseStatus: releases.status,
  datasetStatus: datasets.status,
};

/** Inserts unless the release already has a file of that name; undefined when it has. */
export async function insert(db: Db, values: typeof files.$inferInsert) {
  const [row] = await db.insert(files).values(values).onConflictDoNothing().returning();
  return row;
}

export async function update(db: Db, id: string, values: Partial<typeof files.$inferInsert>) {
  const [row] = await db
    .update(files)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(files.id, id))
    .returning();
  return row;
}

/**
 * Records the multipart upload a file's parts go to, unless another request recorded one first; the row
 * as it now stands (its `uploadId` is the one to use).
 */
export async function claimUploadId(db: Db, id: string, uploadId: string) {
  const [row] = await db
    .update(files)
    .set({ uploadId, updatedAt: sql`now()` })
    .where(and(eq(files.id, id), isNull(files.uploadId)))
    .returning();
  if (row) return row;
  const [current] = await db.select().from(files).where(eq(files.id, id));
  return current;
}

/** A file with its release and dataset (and the dataset's community), for the services that act on it. */
export async function findWithParents(db: Db, id: string) {
  const [row] = await db
    .select({
      file: files,
      release: releases,
      dataset: datasets,
      communitySlug: communities.slug,
      communityName: communities.name,
    })
    .from(files)
    .innerJoin(releases, eq(releases.id, files.releaseId))
    .innerJoin(datasets, eq(datasets.id, releases.datasetId))
    .innerJoin(communities, eq(communities.id, datasets.communityId))
    .where(eq(files.id, id));
  if (!row) return undefined;
  return {
    f: row.file,
    r: row.release,
    d: { ...row.dataset, communitySlug: row.communitySlug, communityName: row.communityName },
  };
}

/** What the download decision needs of a file, its release and its dataset. */
export const downloadFields = {
  id: files.id,
  name: files.name,
  size: files.size,
  sha256: files.sha256,
  mediaType: files.mediaType,
  storageKey: files.storageKey,
  status: files.status,
  tier: sql<FileRow['tier'] & string>`coalesce(${files.tier}, ${datasets.tier})`,
  datasetTier: datasets.tier,
  releaseStatus: releases.status,
  releaseId: releases.id,
  datasetStatus: datasets.status,
  datasetId: datasets.id,
  communityId: datasets.communityId,
  // For the AI-preference signal headers, in the same round trip (the licence in force: latest published).
  trainAi: datasets.trainAi,
  datasetSlug: datasets.slug,
  licenceVersion: sql<
    number | null
  >`(select max(${licenceVersions.version}) from ${licenceVersions} where ${licenceVersions.datasetId} = ${datasets.id} and ${licenceVersions.status} = 'published')`,
};

export type DownloadRow = SelectResultFields<typeof downloadFields>;

const downloadQuery = (db: Db) => {
  const hit = db.$with('hit').as(hitStatement(db, 'rl'));
  return db
    .with(hit)
    .select({ file: downloadFields, hits: sql<number>`(select ${hit.count} from ${hit})` })
    .from(sql`(select 1) as anchor`)
    .leftJoin(files, eq(files.id, sql.placeholder('id')))
    .leftJoin(releases, eq(releases.id, files.releaseId))
    .leftJoin(datasets, eq(datasets.id, releases.datasetId));
};

/*
 * The bearer-token download in ONE round trip: the token's principal (user, memberships, grants in
 * force) and the file with its release and dataset, each left-joined to a one-row anchor so that an
 * unknown token (401) and an unknown file (404) are told apart. Measured: the path's throughput against
 * its floor went from ~0.4 with separate queries to the figure in the README (`npm run bench`).
 */
const tokenDownloadQuery = (db: Db) => {
  const hit = db.$with('hit').as(hitStatement(db, 'rl'));
  return db
    .with(hit)
    .select({
      file: downloadFields,
      principal: tokenPrincipalFields,
      hits: sql<number>`(select ${hit.count} from ${hit})`,
    })
    .from(sql`(select 1) as anchor`)
    .leftJoin(files, eq(files.id, sql.placeholder('id')))
    .leftJoin(releases, eq(releases.id, files.releaseId))
    .leftJoin(datasets, eq(datasets.id, releases.datasetId))
    .leftJoin(apiTokens, tokenByHash)
    .leftJoin(users, eq(users.id, apiTokens.userId));
};
const preparedTokenDownload = new WeakMap<
  Db,
  ReturnType<typeof directSelect<ReturnType<typeof tokenDownloadQuery>>>
>();

/**
 * The token's principal and the file, for `GET /files/:id/download` with a bearer token, counting the
 * download against the caller's rate limit in the same statement (`hits`: the count so far).
 */
export async function findForTokenDownload(db: Db, tokenHash: string, id: string, hit: CountedHit) {
  let q = preparedTokenDownload.get(db);
  if (!q) {
    q = directSelect(db, tokenDownloadQuery, 'token_file_for_download');
    preparedTokenDownload.set(db, q);
  }
  const [row] = await q({ id, hash: tokenHash, ...hitParams(hit) });
  const p = row.principal;
  return {
    hits: row.hits,
    file: row.file?.id ? (row.file as DownloadRow) : undefined,
    // Left-joined: all null when the token is unknown or expired.
    principal:
      p?.tokenId && p.userId
        ? { ...p, tokenId: p.tokenId, userId: p.userId, isAdmin: p.isAdmin === true }
        : undefined,
  };
}

const prepared = new WeakMap<Db, ReturnType<typeof directSelect<ReturnType<typeof downloadQuery>>>>();

/**
 * Everything the download decision needs, in one prepared round trip that also counts the download
 * against the caller's rate limit (`hits`: the count so far).
 */
export async function findForDownload(db: Db, id: string, hit: CountedHit) {
  let q = prepared.get(db);
  if (!q) {
    q = directSelect(db, downloadQuery, 'file_for_download');
    prepared.set(db, q);
  }
  const [row] = await q({ id, ...hitParams(hit) });
  return { hits: row.hits, file: row.file?.id ? (row.file as DownloadRow) : undefined };
}

/** Files of the given releases that pass `visible` (the File policy in SQL, over `fileColumns`). */
export function listForReleases(db: Db, releaseIds: string[], visible: SQL | undefined) {
  if (releaseIds.length === 0) return Promise.resolve([]);
  return db
    .select(getTableColumns(files))
    .from(files)
    .innerJoin(releases, eq(releases.id, files.releaseId))
    .innerJoin(datasets, eq(datasets.id, releases.datasetId))
    .where(and(inArray(files.releaseId, releaseIds), visible))
    .orderBy(asc(files.name));
}
