import { packedRulesFor } from '../../policies/index.ts';
import type { Ctx } from '../context.ts';
import { findById, membershipsWithCommunity } from '../users/users.repo.ts';

/** The caller, their memberships and their packed CASL rules (anonymous too, with user null). */
export async function describeMe(ctx: Ctx) {
  const { actor, ability, db } = ctx;
  const rules = packedRulesFor(ability);
  if (actor.kind !== 'user') return { user: null, memberships: [], rules };
  const [user, memberships] = await Promise.all([
    findById(db, actor.userId),
    membershipsWithCommunity(db, actor.userId),
  ]);
  return {
    user: user && {
      id: user.id,
      email: user.email,
      name: user.name,
      isAdmin: user.isAdmin,
      orcid: user.orcid,
    },
    memberships,
    token: actor.token ? { id: actor.token.id, scopes: actor.token.scopes } : undefined,
    rules,
  };
}
