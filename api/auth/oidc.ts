import express, { type Router } from 'express';
import * as client from 'openid-client';
import { Strategy } from 'openid-client/passport';
import passport from 'passport';
import type { Db } from '../../db/index.ts';
import type { AuditCtx } from '../audit/audit.ts';
import { AppError } from '../errors.ts';
import { rateLimit } from '../middleware/rate-limit.ts';
import { type IdentityClaims, signInFromClaims } from '../users/users.service.ts';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  publicUrl: string;
  /** The built-in development IdP: ask for an account every time, so sign-out lets you switch. */
  development?: boolean;
}

/** Only same-site paths are accepted as a place to return to after sign-in (no open redirect). */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\'))
    return '/';
  return value.slice(0, 500);
}

/**
 * Sign-in with OpenID Connect (authorization code + PKCE) through passport and openid-client. The
 * issuer is discovered on the first sign-in, not at start-up, so the platform starts even while the
 * IdP (or, for the development IdP, the server itself) is not yet reachable.
 */
export function oidcRoutes(db: Db, settings: OidcSettings): Router {
  const auth = new passport.Passport();
  const name = 'oidc';
  const callbackURL = `${settings.publicUrl}/auth/callback`;
  let ready: Promise<client.Configuration> | undefined;

  const ensureStrategy = () => {
    ready ??= client
      .discovery(
        new URL(settings.issuer),
        settings.clientId,
        settings.clientSecret,
        undefined,
        settings.issuer.startsWith('http:') ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .then((config) => {
        auth.use(
          name,
          new Strategy(
            { config, scope: 'openid email profile', callbackURL, name, passReqToCallback: true },
            async (req, tokens, verified) => {
              try {
                const claims = tokens.claims() as IdentityClaims | undefined;
                if (!claims) throw new Error('no ID token claims');
                // Many IdPs put e-mail only in userinfo, not in the ID token.
                const info = tokens.access_token
                  ? await client.fetchUserInfo(config, tokens.access_token, claims.sub)
                  : {};
                // The audit events of a sign-in carry the callback request's id, like every other act.
                const ctx: AuditCtx = {
                  actor: { kind: 'anonymous' },
                  requestId: String(req.id),
                  ipHash: null,
                };
                const user = await signInFromClaims(db, ctx, config.serverMetadata().issuer, {
                  ...claims,
                  ...info,
                } as IdentityClaims);
                verified(null, { id: user.id });
              } catch (err) {
                verified(err);
              }
            },
          ),
        );
        return config;
      })
      .catch((err) => {
        ready = undefined;
        throw new AppError(
          503,
          'idp_unavailable',
          `The identity provider could not be reached: ${(err as Error).message}`,
        );
      });
    return ready;
  };

  const r = express.Router();
  const limited = rateLimit(db, { name: 'sign-in', limit: 60, windowSeconds: 60 });

  r.get('/login', limited, async (req, res, next) => {
    await ensureStrategy();
    req.session.returnTo = safeReturnTo(req.query.returnTo);
    auth.authenticate(name, settings.development ? { prompt: 'login' } : {})(req, res, next);
  });

  r.get('/callback', limited, async (req, res, next) => {
    await ensureStrategy();
    auth.authenticate(name, { session: false }, (err: unknown, user: { id: string } | false) => {
      if (err || !user) {
        const code = (err as { code?: string })?.code ?? 'sign_in_failed';
        req.log?.warn({ err }, 'sign-in failed');
        return res.redirect(`/signin?error=${encodeURIComponent(code)}`);
      }
      const returnTo = safeReturnTo(req.session.returnTo);
      // A fresh session id at sign-in: a session fixed before sign-in is worth nothing after it.
      req.session.regenerate((regenErr) => {
        if (regenErr) return next(regenErr);
        req.session.userId = user.id;
        req.session.save((saveErr) => (saveErr ? next(saveErr) : res.redirect(returnTo)));
      });
    })(req, res, next);
  });

  r.post('/logout', (req, res, next) => {
    if (!req.session) return res.status(204).end();
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie('steward.sid', { path: '/' });
      res.status(204).end();
    });
  });

  return r;
}
