/**
 * The shapes the policies look at. Repos load these fields (denormalised where a rule needs a parent's
 * state, e.g. a file's dataset status) so that one check decides without further I/O.
 */
export type Tier = 'open' | 'registered' | 'gated' | 'restricted' | 'closed';

export interface DatasetSubject {
  id: string;
  communityId: string;
  status: 'draft' | 'published' | 'withdrawn';
  tier: Tier;
}

export interface ReleaseSubject {
  id: string;
  datasetId: string;
  communityId: string;
  status: 'draft' | 'published';
  datasetStatus: DatasetSubject['status'];
  datasetTier: Tier;
}

export interface FileSubject {
  id: string;
  communityId: string;
  datasetId: string;
  releaseId: string;
  /** The effective tier: the file's override, else the dataset's. */
  tier: Tier;
  datasetTier: Tier;
  status: 'pending' | 'available' | 'failed';
  releaseStatus: ReleaseSubject['status'];
  datasetStatus: DatasetSubject['status'];
}

export interface CommunitySubject {
  id: string;
}

export interface NotificationSubject {
  id: string;
  userId: string;
}

export interface TokenSubject {
  id: string;
  userId: string;
}

export interface LicenceVersionSubject {
  id: string;
  datasetId: string;
  communityId: string;
  status: 'published' | 'withdrawn';
  datasetStatus: DatasetSubject['status'];
  datasetTier: Tier;
}

export interface AccessRequestSubject {
  id: string;
  datasetId: string;
  communityId: string;
  requesterId: string;
  /**
   * Seen from one viewer: the viewer's own id when they are a named team member, else `''` (never
   * null, so that SQL and CASL agree). The SQL side computes the same per viewer (accessRequestColumns).
   */
  teamMemberId: string;
  status: 'submitted' | 'in_review' | 'approved' | 'denied' | 'returned' | 'withdrawn';
}

/** A grant as seen by one of its grantees (one row per grantee), or by the community. */
export interface GrantSubject {
  id: string;
  datasetId: string;
  communityId: string;
  granteeId: string;
  status: 'active' | 'suspended' | 'revoked' | 'expired';
}

export interface ObligationSubject {
  id: string;
  grantId: string;
  communityId: string;
  granteeId: string;
  status: 'pending' | 'fulfilled' | 'overdue' | 'waived';
}

export interface AuditEventSubject {
  communityId: string;
}

export interface ReportSubject {
  communityId: string;
  /** The community shares its reports with its members. */
  sharedWithMembers: boolean;
  /** The community publishes a transparency page. */
  public: boolean;
}
