import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Db } from '../../db/index.ts';
import { type Actor, anonymous, defineAbilityFor } from '../../policies/index.ts';
import { AppError, unauthorized } from '../errors.ts';
import { findPrincipalByHash, touch } from '../tokens/tokens.repo.ts';
import { hashToken, looksLikeToken } from '../tokens/tokens.service.ts';
import { loadPrincipal } from '../users/users.repo.ts';

const anonymousAbility = defineAbilityFor(anonymous);

const invalidToken = () =>
  new AppError(401, 'invalid_token', 'The bearer token is unknown, deleted or expired.');

/**
 * Resolves the actor of every API request, from `Authorization: Bearer` or the session cookie, and
 * builds `req.ctx`. A bad or expired token is 401, never a silent downgrade to anonymous.
 */
export function authenticate(db: Db, ipSalt: string): RequestHandler {
  return async (req, res, next) => {
    let actor: Actor = anonymous;
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) return next(new AppError(401, 'invalid_authorization', 'Use "Authorization: Bearer <token>".'));
      if (!looksLikeToken(m[1])) return next(invalidToken());
      const p = await findPrincipalByHash(db, hashToken(m[1]));
      if (!p) {
        res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
        return next(invalidToken());
      }
      actor = {
        kind: 'user',
        userId: p.userId,
        isAdmin: p.isAdmin,
        memberships: p.memberships,
        grants: p.grants,
        token: { id: p.tokenId, scopes: p.scopes as never },
      };
      // Last-used is advisory: written at most every five minutes, off the request's path.
      if (!p.lastUsedAt || Date.now() - new Date(p.lastUsedAt).getTime() > 300_000) {
        touch(db, p.tokenId).catch((err) => req.log?.warn({ err }, 'token touch failed'));
      }
    } else if (req.session?.userId) {
      const p = await loadPrincipal(db, req.session.userId);
      if (p)
        actor = {
          kind: 'user',
          userId: p.id,
          isAdmin: p.isAdmin,
          memberships: p.memberships,
          grants: p.grants,
        };
    }
    req.ctx = {
      actor,
      ability: actor === anonymous ? anonymousAbility : defineAbilityFor(actor),
      db,
      now: new Date(),
      requestId: String(req.id),
      ipHash:
        actor.kind === 'anonymous'
          ? createHash('sha256')
              .update(ipSalt)
              .update(req.ip ?? '')
              .digest('base64url')
              .slice(0, 22)
          : null,
    };
    next();
  };
}

/** 401 unless the caller is signed in (session or token). */
export const requireUser: RequestHandler = (req, _res, next) => {
  if (req.ctx.actor.kind !== 'user') return next(unauthorized());
  next();
};
