import { type Actor, communitiesWithRole, type GrantRef } from '../actor.ts';
import type { FileSubject } from './types.ts';

/** Whether `grant` covers `file` by its scope: the whole dataset, the file's release, or the file itself. */
export const covers = (grant: GrantRef, file: Pick<FileSubject, 'id' | 'datasetId' | 'releaseId'>) =>
  grant.datasetId === file.datasetId &&
  (grant.scope === 'dataset' ||
    grant.scopeIds.includes(grant.scope === 'release' ? file.releaseId : file.id));

/**
 * The grant a download happens under, for the audit record (its id and purpose): the first grant in force
 * that covers the file. Undefined for open files, stewards' own files, or when no grant covers it.
 */
export function coveringGrant(actor: Actor, file: Pick<FileSubject, 'id' | 'datasetId' | 'releaseId'>) {
  return actor.kind === 'user' ? actor.grants?.find((g) => covers(g, file)) : undefined;
}

import type { RuleBuilder } from '../builder.ts';

export function fileRules({ can }: RuleBuilder, actor: Actor): void {
  const visible = {
    releaseStatus: 'published',
    datasetStatus: 'published',
    datasetTier: { $ne: 'closed' },
  } as const;
  can('read', 'File', visible);
  // Open files: anyone, no login (still logged).
  can('download', 'File', { ...visible, tier: 'open', status: 'available' });
  // Grantees: non-open, non-closed files the grant covers (its dataset, release or file scope).
  const grants = actor.kind === 'user' ? (actor.grants ?? []) : [];
  const covered = {
    ...visible,
    status: 'available',
    tier: { $in: ['registered', 'gated', 'restricted'] },
  } as const;
  const ids = (scope: 'dataset' | 'release' | 'file') => [
    ...new Set(
      grants
        .filter((g) => g.scope === scope)
        .flatMap((g) => (scope === 'dataset' ? [g.datasetId] : g.scopeIds)),
    ),
  ];
  const byDataset = ids('dataset');
  const byRelease = ids('release');
  const byFile = ids('file');
  if (byDataset.length) can('download', 'File', { ...covered, datasetId: { $in: byDataset } });
  if (byRelease.length) can('download', 'File', { ...covered, releaseId: { $in: byRelease } });
  if (byFile.length) can('download', 'File', { ...covered, id: { $in: byFile } });
  const member = communitiesWithRole(actor, 'steward', 'reviewer', 'auditor', 'member');
  if (member.length) can('read', 'File', { communityId: { $in: member } });
  const steward = communitiesWithRole(actor, 'steward');
  if (steward.length) {
    can('create', 'File', { communityId: { $in: steward }, releaseStatus: 'draft' });
    can('complete', 'File', { communityId: { $in: steward }, releaseStatus: 'draft' });
    // Stewards download their community's files (logged like any download).
    can('download', 'File', { communityId: { $in: steward }, status: 'available' });
  }
}
