import type { files, releases } from '../../db/schema/index.ts';
import type { AppAbility, DatasetSubject, FileSubject, ReleaseSubject } from '../../policies/index.ts';
import { draftReleaseOf, newFileOf, newLicenceOf, subjectOf } from '../../policies/subject.ts';
import { presentLicenceRef } from '../licences/licences.present.ts';
import type { LicenceRow } from '../licences/licences.repo.ts';
import type { DatasetWithCommunity } from './datasets.repo.ts';

type ReleaseRow = typeof releases.$inferSelect;
type FileRow = typeof files.$inferSelect;

export const datasetSubject = (d: DatasetWithCommunity): DatasetSubject => ({
  id: d.id,
  communityId: d.communityId,
  status: d.status,
  tier: d.tier,
});

export const releaseSubject = (d: DatasetWithCommunity, r: ReleaseRow): ReleaseSubject => ({
  id: r.id,
  datasetId: d.id,
  communityId: d.communityId,
  status: r.status,
  datasetStatus: d.status,
  datasetTier: d.tier,
});

export const fileSubject = (d: DatasetWithCommunity, r: ReleaseRow, f: FileRow): FileSubject => ({
  id: f.id,
  communityId: d.communityId,
  datasetId: d.id,
  releaseId: r.id,
  tier: f.tier ?? d.tier,
  datasetTier: d.tier,
  status: f.status,
  releaseStatus: r.status,
  datasetStatus: d.status,
});

/** The subject of a release not yet created in dataset `d`. */
export const draftReleaseSubject = (d: DatasetWithCommunity) => draftReleaseOf(datasetSubject(d));

/** The subject of a file about to be registered in release `r` (pending until verified). */
export const newFileSubject = (d: DatasetWithCommunity, r: ReleaseRow, tier?: FileSubject['tier']) =>
  newFileOf(releaseSubject(d, r), tier ?? d.tier);

/** The catalog entry of a dataset (from a full row or a catalog row). */
export function presentDatasetSummary(
  d: Pick<
    DatasetWithCommunity,
    | 'id'
    | 'slug'
    | 'title'
    | 'summary'
    | 'tier'
    | 'status'
    | 'communitySlug'
    | 'communityName'
    | 'keywords'
    | 'languages'
    | 'labels'
    | 'createdAt'
    | 'updatedAt'
    | 'publishedAt'
  >,
) {
  return {
    id: d.id,
    slug: d.slug,
    title: d.title,
    summary: d.summary,
    tier: d.tier,
    status: d.status,
    community: { slug: d.communitySlug, name: d.communityName },
    keywords: d.keywords,
    languages: d.languages,
    labels: d.labels,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    publishedAt: d.publishedAt,
  };
}

export function presentFile(ability: AppAbility, d: DatasetWithCommunity, r: ReleaseRow, f: FileRow) {
  const s = fileSubject(d, r, f);
  return {
    id: f.id,
    name: f.name,
    size: f.size,
    mediaType: f.mediaType,
    sha256: f.sha256,
    tier: s.tier,
    status: f.status,
    createdAt: f.createdAt,
    downloadUrl: `/api/v1/files/${f.id}/download`,
    /** The fields the policy reads, so that a client holding `GET /me`'s rules can decide as the API does. */
    subject: s,
    can: { download: ability.can('download', subjectOf('File', s)) },
  };
}

export function presentRelease(
  ability: AppAbility,
  d: DatasetWithCommunity,
  r: ReleaseRow,
  fileRows: FileRow[],
) {
  const s = releaseSubject(d, r);
  const available = fileRows.filter((f) => f.status === 'available').length;
  return {
    id: r.id,
    tag: r.tag,
    notes: r.notes,
    status: r.status,
    createdAt: r.createdAt,
    publishedAt: r.publishedAt,
    files: fileRows.map((f) => presentFile(ability, d, r, f)),
    subject: s,
    can: {
      addFile: ability.can('create', subjectOf('File', newFileSubject(d, r))),
      publish:
        ability.can('publish', subjectOf('Release', s)) && available > 0 && available === fileRows.length,
    },
  };
}

/** A dataset page: metadata, the releases and files the caller may see, and what the caller may do. */
export function presentDataset(
  ability: AppAbility,
  d: DatasetWithCommunity,
  rels: { release: ReleaseRow; files: FileRow[] }[],
  licence?: LicenceRow,
) {
  const fields = datasetSubject(d);
  const s = subjectOf('Dataset', fields);
  return {
    ...presentDatasetSummary(d),
    subject: fields,
    description: d.description,
    spatialCoverage: d.spatialCoverage,
    temporalCoverage: d.temporalCoverage,
    provenance: d.provenance,
    responsibleAi: d.responsibleAi,
    trainAi: d.trainAi,
    withdrawnAt: d.withdrawnAt,
    /** The licence version in force and its ODRL Offer; null until the steward publishes one. */
    licence: presentLicenceRef(d, licence),
    releases: rels.map((x) => presentRelease(ability, d, x.release, x.files)),
    can: {
      update: ability.can('update', s),
      publish: ability.can('publish', s) && d.status !== 'published',
      withdraw: ability.can('withdraw', s) && d.status === 'published',
      createRelease: ability.can('create', subjectOf('Release', draftReleaseSubject(d))),
      createLicence: ability.can('create', subjectOf('LicenceVersion', newLicenceOf(fields))),
    },
  };
}
