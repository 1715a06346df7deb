import { hash, randomBytes } from 'node:crypto';
import { ForbiddenError } from '@casl/ability';
import { accessibleWhere } from '../../policies/sql.ts';
import { subjectOf } from '../../policies/subject.ts';
import { record } from '../audit/audit.ts';
import type { Ctx } from '../context.ts';
import { notFound, unauthorized } from '../errors.ts';
import * as repo from './tokens.repo.ts';
import type { CreateToken } from './tokens.schema.ts';

const PREFIX = 'stw_';

/** Tokens are stored as the SHA-256 of the secret: a database leak reveals no usable token. */
export const hashToken = (token: string) => hash('sha256', token, 'hex');

export const looksLikeToken = (s: string) => /^stw_[A-Za-z0-9_-]{43}$/.test(s);

function userId(ctx: Ctx): string {
  if (ctx.actor.kind !== 'user') throw unauthorized();
  return ctx.actor.userId;
}

/** Creates a token for the acting user; the plaintext is returned once and never stored. */
export async function createToken(ctx: Ctx, input: CreateToken) {
  const owner = userId(ctx);
  ForbiddenError.from(ctx.ability).throwUnlessCan('create', subjectOf('Token', { id: '', userId: owner }));
  return createTokenFor(ctx, owner, input);
}

/** Also used by the CLI (`steward tokens create`), which acts for a named user. */
export async function createTokenFor(
  ctx: Pick<Ctx, 'db' | 'now' | 'actor' | 'requestId' | 'ipHash'>,
  owner: string,
  input: CreateToken,
) {
  const token = PREFIX + randomBytes(32).toString('base64url');
  const expiresAt = new Date(ctx.now.getTime() + input.expiresInDays * 86_400_000);
  return ctx.db.transaction(async (tx) => {
    const row = await repo.insert(tx, {
      userId: owner,
      name: input.name,
      tokenHash: hashToken(token),
      prefix: token.slice(0, 8),
      scopes: input.scopes,
      expiresAt,
    });
    await record(tx, ctx, 'token.created', {
      subjectType: 'Token',
      subjectId: row.id,
      details: { userId: owner, name: row.name, scopes: row.scopes, expiresAt: row.expiresAt },
    });
    return { row, token };
  });
}

export async function listTokens(ctx: Ctx) {
  userId(ctx);
  return repo.listVisible(ctx.db, accessibleWhere(ctx.ability, 'read', 'Token', repo.tokenColumns));
}

export async function deleteToken(ctx: Ctx, id: string) {
  userId(ctx);
  await ctx.db.transaction(async (tx) => {
    const row = await repo.findById(tx, id);
    // Someone else's token is answered 404: its existence is not the caller's business.
    if (!row || !ctx.ability.can('read', subjectOf('Token', { id: row.id, userId: row.userId })))
      throw notFound('token');
    ForbiddenError.from(ctx.ability).throwUnlessCan(
      'delete',
      subjectOf('Token', { id: row.id, userId: row.userId }),
    );
    await repo.remove(tx, id);
    await record(tx, ctx, 'token.deleted', {
      subjectType: 'Token',
      subjectId: id,
      details: { userId: row.userId },
    });
  });
}
