import type { DerivedWorkRow } from './derived-works.repo.ts';

/**
 * A derived work as anyone who may read its dataset sees it: what it is and where, never who registered
 * it (lineage, not people). `grantId` only for those who may read the grant.
 */
export const presentDerivedWork = (w: DerivedWorkRow, opts: { withGrant?: boolean } = {}) => ({
  id: w.id,
  kind: w.kind,
  title: w.title,
  url: w.url,
  description: w.description,
  createdAt: w.createdAt,
  ...(opts.withGrant ? { grantId: w.grantId } : {}),
});
