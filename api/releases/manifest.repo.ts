import { and, asc, desc, eq, inArray, not, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import {
  accessRequests,
  datasets,
  files,
  grantees,
  grants,
  licenceVersions,
  obligations,
  releases,
} from '../../db/schema/index.ts';
import { type DownloadRow, downloadFields } from '../files/files.repo.ts';

/** The newest published release of a dataset (what the tag `latest` names). */
export async function latestPublished(db: Db, datasetId: string) {
  const [row] = await db
    .select()
    .from(releases)
    .where(and(eq(releases.datasetId, datasetId), eq(releases.status, 'published')))
    .orderBy(desc(releases.publishedAt), desc(releases.createdAt))
    .limit(1);
  return row;
}

const releaseFiles = (db: Db) =>
  db
    .select(downloadFields)
    .from(files)
    .innerJoin(releases, eq(releases.id, files.releaseId))
    .innerJoin(datasets, eq(datasets.id, releases.datasetId));

/**
 * The files of a release that `downloadWhere` (the policy's `download` rules translated to SQL) selects,
 * optionally only those named in `only`: the decision is made in the database, never after loading.
 */
export function downloadable(db: Db, releaseId: string, downloadWhere: SQL, only?: string[]) {
  return releaseFiles(db)
    .where(and(eq(files.releaseId, releaseId), downloadWhere, only ? inArray(files.id, only) : undefined))
    .orderBy(asc(files.name)) as Promise<DownloadRow[]>;
}

/** The files of a release the caller may read (`readWhere`) but not download (`downloadWhere`). */
export function withheld(db: Db, releaseId: string, readWhere: SQL, downloadWhere: SQL, only?: string[]) {
  return releaseFiles(db)
    .where(
      and(
        eq(files.releaseId, releaseId),
        readWhere,
        not(downloadWhere),
        only ? inArray(files.id, only) : undefined,
      ),
    )
    .orderBy(asc(files.name)) as Promise<DownloadRow[]>;
}

/**
 * Every grant a user holds (as grantee or team member) on a dataset, in any state, with the facts that
 * keep it from being in force computed with the database's `now()` — the same tests as `grantsInForce`
 * (api/grants/grants.repo.ts). Used only to explain a refusal; the policy decides.
 */
export function grantStatesOn(db: Db, userId: string, datasetId: string) {
  return db
    .select({
      id: grants.id,
      status: grants.status,
      scopeType: grants.scopeType,
      scopeIds: grants.scopeIds,
      notStarted: sql<boolean>`${grants.startsAt} > now()`,
      ended: sql<boolean>`${grants.expiresAt} <= now()`,
      licenceWithdrawn: sql<boolean>`${licenceVersions.status} <> 'published'`,
      overdue: sql<boolean>`exists (
        select 1 from ${obligations} o
        where o.grant_id = ${grants.id}
          and (o.status = 'overdue' or (o.status = 'pending' and o.due_at < now())))`,
    })
    .from(grants)
    .innerJoin(grantees, eq(grantees.grantId, grants.id))
    .innerJoin(licenceVersions, eq(licenceVersions.id, grants.licenceVersionId))
    .where(and(eq(grantees.userId, userId), eq(grants.datasetId, datasetId)));
}

export type GrantState = Awaited<ReturnType<typeof grantStatesOn>>[number];

/** Whether the user has a request on the dataset waiting for a decision (submitted or in review). */
export async function hasPendingRequest(db: Db, userId: string, datasetId: string) {
  const [row] = await db
    .select({ id: accessRequests.id })
    .from(accessRequests)
    .where(
      and(
        eq(accessRequests.requesterId, userId),
        eq(accessRequests.datasetId, datasetId),
        inArray(accessRequests.status, ['submitted', 'in_review']),
      ),
    )
    .limit(1);
  return !!row;
}
