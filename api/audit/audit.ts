import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { auditEvents } from '../../db/schema/index.ts';
import type { Ctx } from '../context.ts';

export type AuditCtx = Pick<Ctx, 'actor' | 'requestId' | 'ipHash'> & { system?: boolean };

export interface AuditTarget {
  subjectType: string;
  subjectId: string;
  communityId?: string | null;
  datasetId?: string | null;
  purpose?: string | null;
  /** Never secrets: tokens and keys are named by id only. */
  details?: Record<string, unknown>;
}

function row(ctx: AuditCtx, action: string, target: AuditTarget) {
  const actor = ctx.actor;
  return {
    actorType: ctx.system
      ? 'system'
      : actor.kind === 'anonymous'
        ? 'anonymous'
        : actor.token
          ? 'token'
          : 'user',
    actorId: actor.kind === 'user' ? actor.userId : null,
    actorTokenId: actor.kind === 'user' ? (actor.token?.id ?? null) : null,
    actorIpHash: actor.kind === 'anonymous' ? ctx.ipHash : null,
    action,
    communityId: target.communityId ?? null,
    datasetId: target.datasetId ?? null,
    subjectType: target.subjectType,
    subjectId: target.subjectId,
    purpose: target.purpose ?? null,
    details: target.details ?? {},
    requestId: ctx.requestId,
  };
}

/**
 * Appends an audit event inside the caller's transaction `tx`, so the record and the act commit or
 * roll back together. `action` is `subject.verb`, past tense (`dataset.published`).
 */
export async function record(tx: Db, ctx: AuditCtx, action: string, target: AuditTarget) {
  await tx.insert(auditEvents).values(row(ctx, action, target));
}

const columns = Object.keys(
  row({ actor: { kind: 'anonymous' }, requestId: '', ipHash: null }, '', { subjectType: '', subjectId: '' }),
) as (keyof ReturnType<typeof row>)[];
// `details` goes in as JSON text cast to jsonb: a bare placeholder made PGlite store the text as a
// JSON string ("{\"tier\":…}") instead of an object.
const appendQuery = (db: Db) =>
  db
    .insert(auditEvents)
    .values(
      Object.fromEntries(
        columns.map((c) => [c, c === 'details' ? sql`${sql.placeholder(c)}::jsonb` : sql.placeholder(c)]),
      ) as never,
    )
    .prepare('audit_append');
const prepared = new WeakMap<Db, ReturnType<typeof appendQuery>>();

/**
 * For an act that is nothing but its record (issuing a download): one prepared INSERT, committed on
 * its own, outside any transaction. Hot path: no query building per call.
 */
export async function recordAlone(db: Db, ctx: AuditCtx, action: string, target: AuditTarget) {
  let q = prepared.get(db);
  if (!q) {
    q = appendQuery(db);
    prepared.set(db, q);
  }
  const values = row(ctx, action, target);
  await q.execute({ ...values, details: JSON.stringify(values.details) });
}

/** The actor for acts the platform does by itself (seeding, CLI, scheduled jobs). */
export const systemCtx = (requestId: string): AuditCtx => ({
  actor: { kind: 'anonymous' },
  requestId,
  ipHash: null,
  system: true,
});
