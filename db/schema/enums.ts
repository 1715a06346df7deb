import { pgEnum } from 'drizzle-orm/pg-core';

export const communityRole = pgEnum('community_role', ['steward', 'reviewer', 'auditor', 'member']);
export const accessTier = pgEnum('access_tier', ['open', 'registered', 'gated', 'restricted', 'closed']);
export const datasetStatus = pgEnum('dataset_status', ['draft', 'published', 'withdrawn']);
export const releaseStatus = pgEnum('release_status', ['draft', 'published']);
export const fileStatus = pgEnum('file_status', ['pending', 'available', 'failed']);
export const licenceStatus = pgEnum('licence_status', ['published', 'withdrawn']);
export const requestStatus = pgEnum('request_status', [
  'submitted',
  'in_review',
  'approved',
  'denied',
  'returned',
  'withdrawn',
]);
export const matchResult = pgEnum('match_result', ['match', 'no_match', 'abstain']);
export const reviewDecision = pgEnum('review_decision', ['approve', 'deny', 'return']);
export const grantStatus = pgEnum('grant_status', ['active', 'suspended', 'revoked', 'expired']);
export const grantScope = pgEnum('grant_scope', ['dataset', 'release', 'file']);
export const grantKind = pgEnum('grant_kind', ['click_through', 'request']);
export const obligationStatus = pgEnum('obligation_status', ['pending', 'fulfilled', 'overdue', 'waived']);
export const derivedWorkKind = pgEnum('derived_work_kind', [
  'model',
  'dataset',
  'paper',
  'application',
  'other',
]);
/** What a token may do: `manage` covers steward acts (see policies/ability.ts `scopeFor`). */
export const tokenScope = ['read', 'download', 'request', 'manage'] as const;
export type TokenScope = (typeof tokenScope)[number];
