import { ForbiddenError } from '@casl/ability';
import { subjectOf } from '../../policies/subject.ts';
import { record } from '../audit/audit.ts';
import type { Ctx } from '../context.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import { ensureUser } from '../users/users.service.ts';
import * as repo from './communities.repo.ts';
import type { AddMember, CreateCommunity, UpdateCommunity } from './communities.schema.ts';

/** An admin creates a community and, optionally, names its first steward in the same act. */
export async function createCommunity(ctx: Ctx, input: CreateCommunity) {
  ForbiddenError.from(ctx.ability).throwUnlessCan('create', 'Community');
  return ctx.db.transaction(async (tx) => {
    const row = await repo.insert(tx, { slug: input.slug, name: input.name, description: input.description });
    if (!row) throw conflict('community_exists', `A community with slug "${input.slug}" already exists.`);
    await record(tx, ctx, 'community.created', {
      subjectType: 'Community',
      subjectId: row.id,
      communityId: row.id,
      details: { slug: row.slug, name: row.name },
    });
    if (input.stewardEmail)
      await appoint({ ...ctx, db: tx }, row, { email: input.stewardEmail, role: 'steward' });
    return row;
  });
}

export function listCommunities(ctx: Ctx) {
  return repo.list(ctx.db);
}

export async function getCommunity(ctx: Ctx, slug: string) {
  const row = await repo.findBySlug(ctx.db, slug);
  if (!row) throw notFound('community');
  return row;
}

export async function addMember(ctx: Ctx, slug: string, input: AddMember) {
  return ctx.db.transaction(async (tx) => {
    const community = await repo.findBySlug(tx, slug);
    if (!community) throw notFound('community');
    return appoint({ ...ctx, db: tx }, community, input);
  });
}

/**
 * Who holds which role in the community, for those who appoint them (its stewards, and the platform
 * admin who appoints stewards): names and e-mails, so they see whom they are adding to.
 */
export async function listMembers(ctx: Ctx, slug: string) {
  const community = await getCommunity(ctx, slug);
  if (!ctx.ability.can('appoint', subjectOf('Community', { id: community.id })))
    throw forbidden('Only the community’s stewards see its members.');
  return repo.listMembers(ctx.db, community.id);
}

async function appoint(ctx: Ctx, community: repo.CommunityRow, input: AddMember) {
  ForbiddenError.from(ctx.ability).throwUnlessCan('appoint', subjectOf('Community', { id: community.id }));
  const isSteward =
    ctx.actor.kind === 'user' &&
    ctx.actor.memberships.some((m) => m.communityId === community.id && m.role === 'steward');
  // The platform admin appoints stewards; the community's own stewards appoint everyone else.
  if (!isSteward && input.role !== 'steward')
    throw forbidden('Only the community’s stewards add reviewers, auditors and members.');
  const { user } = await ensureUser(ctx.db, ctx, {
    email: input.email,
    name: input.name ?? input.email.split('@')[0],
  });
  const added = await repo.addMembership(ctx.db, community.id, user.id, input.role);
  if (added) {
    await record(ctx.db, ctx, 'member.added', {
      subjectType: 'Membership',
      subjectId: `${community.id}:${user.id}:${input.role}`,
      communityId: community.id,
      details: { userId: user.id, role: input.role },
    });
  }
  return { userId: user.id, email: user.email, name: user.name, role: input.role, added };
}

/** A steward turns the public transparency page and member sharing on or off; audited. */
export async function updateCommunity(ctx: Ctx, slug: string, input: UpdateCommunity) {
  return ctx.db.transaction(async (tx) => {
    const community = await repo.findBySlug(tx, slug);
    if (!community) throw notFound('community');
    ForbiddenError.from(ctx.ability).throwUnlessCan('update', subjectOf('Community', { id: community.id }));
    const changes: UpdateCommunity = {};
    if (input.transparencyPublic !== undefined && input.transparencyPublic !== community.transparencyPublic)
      changes.transparencyPublic = input.transparencyPublic;
    if (
      input.reportsSharedWithMembers !== undefined &&
      input.reportsSharedWithMembers !== community.reportsSharedWithMembers
    )
      changes.reportsSharedWithMembers = input.reportsSharedWithMembers;
    if (!Object.keys(changes).length) return community;
    const row = await repo.update(tx, community.id, changes);
    await record(tx, ctx, 'community.updated', {
      subjectType: 'Community',
      subjectId: community.id,
      communityId: community.id,
      details: changes,
    });
    return row;
  });
}
