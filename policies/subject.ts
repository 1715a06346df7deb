import { subject } from '@casl/ability';
import type {
  AccessRequestSubject,
  AuditEventSubject,
  CommunitySubject,
  DatasetSubject,
  FileSubject,
  GrantSubject,
  LicenceVersionSubject,
  NotificationSubject,
  ObligationSubject,
  ReleaseSubject,
  ReportSubject,
  TokenSubject,
} from './subjects/types.ts';

/** The shape the policies read for each subject: a check is only as good as the fields it is given. */
export interface SubjectShapes {
  Dataset: DatasetSubject;
  Release: ReleaseSubject;
  File: FileSubject;
  LicenceVersion: LicenceVersionSubject;
  AccessRequest: AccessRequestSubject;
  Grant: GrantSubject;
  Obligation: ObligationSubject;
  AuditEvent: AuditEventSubject;
  Report: ReportSubject;
  Community: CommunitySubject;
  Token: TokenSubject;
  Notification: NotificationSubject;
}

/**
 * A typed `subject()`: the object must have every field the subject's rules read (a missing field would
 * silently fail a condition, or worse, pass a `$ne`). Copies, so a shared object is never tagged.
 */
export function subjectOf<N extends keyof SubjectShapes>(name: N, fields: SubjectShapes[N]) {
  return subject(name, { ...fields });
}

/** A release not yet created in `dataset`, to ask whether the caller may create one. */
export const draftReleaseOf = (dataset: DatasetSubject): ReleaseSubject => ({
  id: '',
  datasetId: dataset.id,
  communityId: dataset.communityId,
  status: 'draft',
  datasetStatus: dataset.status,
  datasetTier: dataset.tier,
});

/** A file about to be registered in `release` (pending until verified), with an optional tier override. */
export const newFileOf = (
  release: ReleaseSubject,
  tier: FileSubject['tier'] = release.datasetTier,
): FileSubject => ({
  id: '',
  communityId: release.communityId,
  datasetId: release.datasetId,
  releaseId: release.id,
  tier,
  datasetTier: release.datasetTier,
  status: 'pending',
  releaseStatus: release.status,
  datasetStatus: release.datasetStatus,
});

/** A licence version not yet written for `dataset`. */
export const newLicenceOf = (dataset: DatasetSubject): LicenceVersionSubject => ({
  id: '',
  datasetId: dataset.id,
  communityId: dataset.communityId,
  status: 'published',
  datasetStatus: dataset.status,
  datasetTier: dataset.tier,
});
