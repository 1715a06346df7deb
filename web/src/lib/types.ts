/**
 * Response and request types of the Steward HTTP API (`/api/v1`), written from the contract in
 * shared/design/API.md. Fields the server may add are allowed; none listed here may be renamed.
 */

import { type DerivedWorkKind, derivedWorkKinds } from '$policies/derived-works.ts';
import type {
  AccessRequestSubject,
  DatasetSubject,
  FileSubject,
  GrantSubject,
  ObligationSubject,
  ReleaseSubject,
} from '$policies/subjects/types.ts';

export type Tier = 'open' | 'registered' | 'gated' | 'restricted' | 'closed';
export const TIERS: readonly Tier[] = ['open', 'registered', 'gated', 'restricted', 'closed'];

export type CommunityRole = 'steward' | 'reviewer' | 'auditor' | 'member';
export type TokenScope = 'read' | 'download' | 'request';
export const TOKEN_SCOPES: readonly TokenScope[] = ['read', 'download', 'request'];

/** One field error of a problem+json `errors` array. */
export interface FieldError {
  path: string | (string | number)[];
  message: string;
}

/** RFC 9457 problem details, as the API sends them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  requestId?: string;
  errors?: FieldError[];
}

export interface User {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
}

export interface Membership {
  communitySlug: string;
  communityName: string;
  role: CommunityRole;
}

/** A role someone holds in a community, as its stewards see it (`GET /communities/:slug/members`). */
export interface Member {
  userId: string;
  name: string;
  email: string;
  role: CommunityRole;
  since: string;
}

export interface Me {
  user: User | null;
  memberships: Membership[];
  rules: unknown[];
}

export interface DemoAccount {
  email: string;
  name: string;
  role: string;
}

export interface Providers {
  issuer: string;
  development: boolean;
  demoAccounts: DemoAccount[];
}

export interface Community {
  id?: string;
  slug: string;
  name: string;
  description: string | null;
  transparencyPublic?: boolean;
  reportsSharedWithMembers?: boolean;
}

export interface Counted {
  count: number;
}
/** GET /communities/:slug/report (UTC months; null keys: no purpose / no organisation given). */
export interface Report {
  community: { slug: string; name: string };
  dataset: { slug: string; title: string } | null;
  period: { from: string; to: string; timeZone: 'UTC' };
  downloads: {
    total: number;
    anonymous: number;
    byMonth: ({ month: string } & Counted)[];
    byPurpose: ({ purpose: string | null } & Counted)[];
    byOrganisation: ({ organisation: string | null } & Counted)[];
    byDataset: ({ dataset: string } & Counted)[];
  };
  requests: {
    total: number;
    byStatus: ({ status: string } & Counted)[];
    decided: number;
    acceptanceRate: number | null;
    medianDecisionHours: number | null;
  };
  grants: { total: number; byStatus: ({ status: string } & Counted)[] };
  obligations: { total: number; byStatus: ({ status: string } & Counted)[] };
  derivedWorks: { total: number; byKind: ({ kind: string } & Counted)[]; items: DerivedWorkItem[] };
}
export interface DerivedWorkItem {
  title: string;
  kind: string;
  url: string | null;
  dataset: string;
  registeredAt: string;
}
export interface ApprovedUse {
  purpose: string | null;
  organisation: string | null;
  dataset: string;
  datasetTitle: string;
  startsAt: string;
  expiresAt: string;
  status: string;
}
/** GET /communities/:slug/transparency */
export interface Transparency {
  community: { slug: string; name: string };
  published: boolean;
  period: { from: string; to: string; timeZone: 'UTC' };
  approvedUses: ApprovedUse[];
  requests: Pick<Report['requests'], 'total' | 'decided' | 'acceptanceRate' | 'medianDecisionHours'>;
  downloads: Pick<Report['downloads'], 'total' | 'byMonth'>;
  derivedWorks: Report['derivedWorks'];
}
export interface ReportPeriod {
  from?: string;
  to?: string;
  dataset?: string;
}

export interface CreateCommunity {
  slug: string;
  name: string;
  description?: string;
  stewardEmail?: string;
}

export type DatasetStatus = 'draft' | 'published' | 'withdrawn';

export interface DatasetSummary {
  id: string;
  slug: string;
  title: string;
  summary: string;
  tier: Tier;
  status: DatasetStatus;
  community: { slug: string; name: string };
  keywords: string[];
  languages: string[];
  labels: LocalContextsLabel[];
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
}

export type FileStatus = 'pending' | 'available' | 'failed';

export interface DataFile {
  id: string;
  name: string;
  size: number;
  mediaType: string;
  sha256: string;
  tier: Tier;
  status: FileStatus;
  downloadUrl: string;
  /** The fields the policy reads: with `GET /me`'s rules the page decides as the API does. */
  subject: FileSubject;
  can: { download: boolean };
}

/** One signed PUT of the whole file. */
export interface SignedPut {
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
  expiresAt?: string;
}

/** A large file: one signed PUT per part of `partSize` bytes (the last may be shorter). */
export interface MultipartInstructions {
  method: 'multipart';
  partSize: number;
  parts: { partNumber: number; url: string }[];
  expiresAt?: string;
}

export type UploadInstructions = SignedPut | MultipartInstructions;

export type NewFile = DataFile & { upload: UploadInstructions };

export type ReleaseStatus = 'draft' | 'published';

export interface Release {
  id: string;
  tag: string;
  notes: string | null;
  status: ReleaseStatus;
  publishedAt: string | null;
  files: DataFile[];
  subject: ReleaseSubject;
  can: { addFile: boolean; publish: boolean };
}

export interface Dataset extends DatasetSummary {
  description: string;
  releases: Release[];
  /** The licence version in force and its ODRL Offer; null until the steward publishes one. */
  licence: { version: number; offerUrl: string } | null;
  subject: DatasetSubject;
  can: {
    update: boolean;
    publish: boolean;
    withdraw: boolean;
    createRelease: boolean;
    createLicence: boolean;
  };
}

export interface ReciprocityTerm {
  kind: string;
  timing: 'before-download' | 'after-grant' | 'every-n-months' | 'at-end';
  dueDays?: number;
  everyMonths?: number;
  evidence?: 'link' | 'text' | 'file';
  description?: string;
}

export type FieldType = 'text' | 'choice' | 'checkbox' | 'date' | 'country';

export interface FormField {
  name: string;
  label: string;
  type: FieldType;
  required?: boolean;
  options?: string[];
}

export type DecisionRule = { rule: 'single' } | { rule: 'quorum'; k: number; n?: number; veto?: boolean };

/** The body of `POST /datasets/:slug/licences`. */
export interface CreateLicence {
  base: string;
  text: string;
  purposes: string[];
  duo: string[];
  prohibitions: string[];
  constraints: { geography?: string[]; from?: string; until?: string };
  reciprocity: ReciprocityTerm[];
  decision: DecisionRule;
  autoApprove: boolean;
  maxGrantDays: number | null;
  fields: FormField[];
}

export interface Licence extends Omit<CreateLicence, 'duo' | 'base'> {
  version: number;
  status: 'published' | 'withdrawn';
  dataset: string;
  base: string | null;
  duo: { id: string; code: string | null; label: string }[];
  createdAt: string;
  withdrawnAt: string | null;
  offerUrl: string;
  can: { withdraw: boolean };
}

export interface LicenceTemplate {
  id: string;
  title: string;
  summary: string;
  licence: Partial<CreateLicence>;
}

export interface Term {
  id: string;
  label: string;
}

/** `GET /purposes`: the words licences are written in. */
export interface Vocabulary {
  purposes: (Term & { description: string; broader?: string; duo?: string })[];
  duo: (Term & { code: string; kind: 'permission' | 'modifier' })[];
  prohibitions: Term[];
  reciprocity: { kinds: Term[]; timings: Term[] };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface DatasetQuery {
  q?: string;
  tier?: Tier | '';
  purpose?: string;
  label?: string;
  language?: string;
  community?: string;
  includeDrafts?: boolean;
  cursor?: string | null;
  limit?: number;
}

export interface CreateDataset {
  community: string;
  slug: string;
  title: string;
  summary: string;
  description: string;
  tier: Tier;
  keywords?: string[];
}

export type UpdateDataset = Partial<
  Pick<CreateDataset, 'title' | 'summary' | 'description' | 'tier' | 'keywords'> & {
    labels: LocalContextsLabel[];
  }
>;

/** A Local Contexts Label or Notice, as the community wrote it. */
export interface LocalContextsLabel {
  kind: 'TK' | 'BC' | 'notice';
  type: string;
  text: string;
  hubProjectId?: string;
}

export type { LabelSuggestion, LabelType, TermSuggestion } from '$policies/local-contexts.ts';

export interface CreateRelease {
  tag: string;
  notes?: string;
}

export interface CreateFile {
  name: string;
  size: number;
  sha256: string;
  mediaType: string;
}

export interface Token {
  id: string;
  name: string;
  /** The first characters of the token, to recognise it (not part of the written contract). */
  prefix?: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export type NewToken = Token & { token: string };

export interface CreateToken {
  name: string;
  scopes: TokenScope[];
  expiresInDays?: number;
}

/** One message of the inbox (`GET /me/notifications`). `link` is a path of this web app. */
export interface Notification {
  id: string;
  kind: string;
  subjectType: string;
  subjectId: string;
  title: string;
  body: string;
  link: string;
  createdAt: string;
  readAt: string | null;
  can: { markRead: boolean };
}

export interface NotificationPage {
  items: Notification[];
  unread: number;
  nextCursor: string | null;
}

export type RequestStatus = 'submitted' | 'in_review' | 'approved' | 'denied' | 'returned' | 'withdrawn';
export type MatchResult = 'match' | 'no_match' | 'abstain';

/** One access request in a list (`GET /access-requests`): where it stands and since when. */
export interface AccessRequestSummary {
  id: string;
  status: RequestStatus;
  statusReason: string | null;
  since: string;
  datasetSlug: string;
  datasetTitle: string;
  communitySlug: string;
  requester: { id: string; name: string; email?: string; organisation: string | null };
  purpose: { category: string; description?: string; commercial: boolean; forProfit: boolean };
  match: { result: MatchResult; reasons: string[] };
  round: number;
  grant: { id: string } | null;
  createdAt: string;
  /** The fields the policy reads: with `GET /me`'s rules the page decides as the API does. */
  subject: AccessRequestSubject;
  can: { withdraw: boolean; resubmit: boolean; review: boolean };
}

export type ReviewDecision = 'approve' | 'deny' | 'return';

export interface Review {
  id: string;
  round: number;
  reviewer: { id: string; name: string };
  decision: ReviewDecision;
  comment: string;
  conflictOfInterest: string | null;
  createdAt: string;
}

/** `GET /access-requests/:id`: the whole request, its history and (for deciders) its reviews. */
export interface AccessRequest extends AccessRequestSummary {
  team: { id: string; name: string; email: string }[];
  intendedOutputs: string;
  requestedDays: number | null;
  answers: Record<string, unknown>;
  scope: { releases?: string[]; files?: string[] };
  licenceVersion: number;
  licenceAcceptedAt: string;
  history: { status: string | null; action: string; at: string; reason: string | null }[];
  reviews?: Review[];
}

/** The body of `POST /datasets/:slug/access-requests`. */
export interface CreateAccessRequest {
  purpose: { category: string; description: string; commercial: boolean; forProfit: boolean };
  intendedOutputs?: string;
  requestedDays?: number;
  answers?: Record<string, unknown>;
  licenceVersion: number;
  team?: string[];
}

/** The body of `PATCH /access-requests/:id` (a returned request resubmitted). */
export type ResubmitAccessRequest = Partial<Omit<CreateAccessRequest, 'licenceVersion'>> & {
  licenceVersion: number;
};

export interface CastReview {
  decision: ReviewDecision;
  comment: string;
  conflictOfInterest?: string | boolean;
}

// --- Grants, obligations, derived works (api/grants, api/obligations, api/derived-works) ---

export type GrantStatus = 'active' | 'suspended' | 'revoked' | 'expired';
export type ObligationStatus = 'pending' | 'overdue' | 'fulfilled' | 'waived';

export interface Obligation {
  id: string;
  grantId: string;
  kind: string;
  timing: ReciprocityTerm['timing'];
  /** The evidence the term asks for: link, text or file (or none). */
  evidence: 'link' | 'text' | 'file' | null;
  dueAt: string | null;
  status: ObligationStatus;
  evidenceSubmitted: boolean;
  submitted: {
    link: string | null;
    text: string | null;
    derivedWorkId: string | null;
    file: { name: string; size: number | null; mediaType: string | null; url: string } | null;
  } | null;
  submittedAt: string | null;
  verifiedAt: string | null;
  statusReason: string | null;
  subject: ObligationSubject;
  can: { submitEvidence: boolean; verify: boolean; waive: boolean; reject: boolean };
  /** After verify or waive: the next instance of a recurring term. */
  next?: Obligation | null;
  /** After evidence with a file: the signed PUT to send its bytes to. */
  upload?: SignedPut;
}

/** A grant (`GET /grants`, `GET /grants/:id`). */
export interface Grant {
  id: string;
  kind: 'request' | 'click_through';
  status: GrantStatus;
  statusReason: string | null;
  datasetSlug: string;
  datasetTitle: string;
  communitySlug: string;
  requestId: string | null;
  licenceVersion: number;
  scope: { type: 'dataset' | 'release' | 'file'; ids: string[] };
  purpose: string | null;
  startsAt: string;
  expiresAt: string;
  grantees: { id: string; name: string; email: string }[];
  obligations: Obligation[];
  agreement: { url: string; sha256: string | null } | null;
  createdAt: string;
  subject: GrantSubject;
  can: {
    suspend: boolean;
    reinstate: boolean;
    revoke: boolean;
    renew: boolean;
    registerDerivedWork: boolean;
  };
}

export type { DerivedWorkKind };
export const DERIVED_WORK_KINDS: DerivedWorkKind[] = [...derivedWorkKinds];

export interface DerivedWork {
  id: string;
  kind: DerivedWorkKind;
  title: string;
  url: string | null;
  description: string;
  createdAt: string;
  grantId?: string;
}

export interface NewDerivedWork {
  kind: DerivedWorkKind;
  title: string;
  url?: string;
  description?: string;
  obligationId?: string;
}

export interface Evidence {
  link?: string;
  text?: string;
  derivedWorkId?: string;
  file?: { name: string; size: number; mediaType: string };
}
