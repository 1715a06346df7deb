import type { CommunityRow } from './communities.repo.ts';

export function presentCommunity(row: CommunityRow) {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    transparencyPublic: row.transparencyPublic,
    reportsSharedWithMembers: row.reportsSharedWithMembers,
    createdAt: row.createdAt,
  };
}
