import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Db } from '../../db/index.ts';
import { type Actor, type AppAbility, anonymous, defineAbilityFor } from '../../policies/index.ts';
import { AppError, unauthorized } from '../errors.ts';
import { findPrincipalByHash, touch } from '../tokens/tokens.repo.ts';
import { hashToken, looksLikeToken } from '../tokens/tokens.service.ts';
import { loadPrincipal } from '../users/users.repo.ts';
import { actorFor, type PrincipalRow } from './principal.ts';

const anonymousAbility = defineAbilityFor(anonymous);

const invalidToken = () =>
  new AppError(401, 'invalid_token', 'The bearer token is unknown, deleted or expired.');

/**
 * The hash of the request's bearer token; undefined without an Authorization header. A malformed
 * header or a string that cannot be one of our tokens is 401, never a silent downgrade to anonymous.
 */
export function bearerTokenHash(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new AppError(401, 'invalid_authorization', 'Use "Authorization: Bearer <token>".');
  if (!looksLikeToken(m[1])) throw invalidToken();
  return hashToken(m[1]);
}

type TokenPrincipal = PrincipalRow & { tokenId: string; lastUsedAt: Date | string | null };

/** How the api learns who is calling; made once per app by `createApp`. */
export interface Authenticator {
  db: Db;
  /** Middleware: resolves the caller of every API request and sets `req.ctx`. */
  middleware: RequestHandler;
  /** Sets `req.ctx` from the session cookie, or anonymous (routes that read a bearer token themselves). */
  fromSession(req: Request): Promise<void>;
  /**
   * Sets `req.ctx` for a bearer token's principal row, read by a route together with its own row in
   * one round trip; `undefined` (unknown or expired token) is 401.
   */
  fromToken(req: Request, p: TokenPrincipal | undefined): void;
}

export function authenticator(db: Db, ipSalt: string): Authenticator {
  const setCtx = (req: Request, actor: Actor, ability: AppAbility) => {
    req.ctx = {
      actor,
      ability,
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
  };
  const fromToken = (req: Request, p: TokenPrincipal | undefined) => {
    if (!p) {
      req.res?.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw invalidToken();
    }
    // Last-used is advisory: written at most every five minutes, off the request's path.
    if (!p.lastUsedAt || Date.now() - new Date(p.lastUsedAt).getTime() > 300_000) {
      touch(db, p.tokenId).catch((err) => req.log?.warn({ err }, 'token touch failed'));
    }
    const { actor, ability } = actorFor(p);
    setCtx(req, actor, ability);
  };
  const fromSession = async (req: Request) => {
    const p = req.session?.userId ? await loadPrincipal(db, req.session.userId) : undefined;
    if (!p) return setCtx(req, anonymous, anonymousAbility);
    const { actor, ability } = actorFor(p);
    setCtx(req, actor, ability);
  };
  return {
    db,
    fromToken,
    fromSession,
    // A bad or expired token is 401, never a silent downgrade to anonymous.
    middleware: async (req, _res, next) => {
      const hash = bearerTokenHash(req);
      if (hash !== undefined) fromToken(req, await findPrincipalByHash(db, hash));
      else await fromSession(req);
      next();
    },
  };
}

/** 401 unless the caller is signed in (session or token). */
export const requireUser: RequestHandler = (req, _res, next) => {
  if (req.ctx.actor.kind !== 'user') return next(unauthorized());
  next();
};
