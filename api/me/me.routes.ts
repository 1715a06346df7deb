import { Router } from 'express';
import { packedRulesFor } from '../../policies/index.ts';
import { findById, membershipsWithCommunity } from '../users/users.repo.ts';

/** `GET /me`: the caller, their memberships and their packed CASL rules (anonymous too, with user null). */
export function meRoutes(): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    const { actor, ability, db } = req.ctx;
    const rules = packedRulesFor(ability);
    if (actor.kind !== 'user') {
      res.json({ user: null, memberships: [], rules });
      return;
    }
    const [user, memberships] = await Promise.all([
      findById(db, actor.userId),
      membershipsWithCommunity(db, actor.userId),
    ]);
    res.json({
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
    });
  });
  return r;
}
