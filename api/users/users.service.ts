import type { Db } from '../../db/index.ts';
import { type AuditCtx, record } from '../audit/audit.ts';
import { AppError } from '../errors.ts';
import * as repo from './users.repo.ts';

/** The claims Steward reads from an ID token and userinfo. */
export interface IdentityClaims {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  given_name?: string;
  family_name?: string;
  eduperson_scoped_affiliation?: string | string[];
  schac_home_organization?: string;
  orcid?: string;
}

const asList = (v: string | string[] | undefined) =>
  v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/);

/**
 * Finds or creates the user of a verified OIDC identity. A user created ahead of sign-in (CLI, seed,
 * appointment as steward) is bound on first sign-in by a verified e-mail; an e-mail already bound to
 * another identity is refused rather than merged.
 */
export async function signInFromClaims(db: Db, ctx: AuditCtx, issuer: string, claims: IdentityClaims) {
  const email = claims.email?.trim().toLowerCase();
  const name =
    claims.name?.trim() ||
    [claims.given_name, claims.family_name].filter(Boolean).join(' ').trim() ||
    email ||
    claims.sub;
  const profile = {
    name,
    affiliations: asList(claims.eduperson_scoped_affiliation),
    homeOrganization: claims.schac_home_organization ?? null,
    orcid: claims.orcid ?? null,
    lastSignInAt: new Date(),
  };
  return db.transaction(async (tx) => {
    const known = await repo.findByIdentity(tx, issuer, claims.sub);
    if (known) {
      const user = await repo.updateProfile(tx, known.id, { ...profile, ...(email ? { email } : {}) });
      await record(tx, { ...ctx, actor: actorOf(user) }, 'user.signed_in', {
        subjectType: 'User',
        subjectId: user.id,
      });
      return user;
    }
    if (!email)
      throw new AppError(403, 'email_required', 'Your identity provider did not share an e-mail address.');
    const byEmail = await repo.findByEmail(tx, email);
    if (byEmail) {
      if (byEmail.subject !== null || claims.email_verified !== true) {
        throw new AppError(
          409,
          'email_in_use',
          'This e-mail address belongs to another account on this instance.',
        );
      }
      await repo.bindIdentity(tx, byEmail.id, issuer, claims.sub);
      const user = await repo.updateProfile(tx, byEmail.id, profile);
      await record(tx, { ...ctx, actor: actorOf(user) }, 'user.signed_in', {
        subjectType: 'User',
        subjectId: user.id,
        details: { firstSignIn: true },
      });
      return user;
    }
    const user = await repo.insert(tx, { issuer, subject: claims.sub, email, ...profile });
    await record(tx, { ...ctx, actor: actorOf(user) }, 'user.created', {
      subjectType: 'User',
      subjectId: user.id,
      details: { issuer, via: 'sign-in' },
    });
    return user;
  });
}

const actorOf = (user: repo.UserRow) => ({
  kind: 'user' as const,
  userId: user.id,
  isAdmin: user.isAdmin,
  memberships: [],
});

/** Creates a user ahead of sign-in (`steward users create`), or returns the existing one. */
export async function ensureUser(
  db: Db,
  ctx: AuditCtx,
  input: { email: string; name: string; isAdmin?: boolean },
) {
  return db.transaction(async (tx) => {
    const existing = await repo.findByEmail(tx, input.email);
    if (existing) {
      if (input.isAdmin && !existing.isAdmin) {
        const user = await repo.updateProfile(tx, existing.id, { isAdmin: true });
        await record(tx, ctx, 'user.made_admin', { subjectType: 'User', subjectId: user.id });
        return { user, created: false };
      }
      return { user: existing, created: false };
    }
    const user = await repo.insert(tx, {
      email: input.email.trim().toLowerCase(),
      name: input.name,
      isAdmin: input.isAdmin ?? false,
    });
    await record(tx, ctx, 'user.created', {
      subjectType: 'User',
      subjectId: user.id,
      details: { via: 'provisioned', isAdmin: user.isAdmin },
    });
    return { user, created: true };
  });
}
