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

/**
 * Appends an audit event inside the caller's transaction `tx`, so the record and the act commit or
 * roll back together. `action` is `subject.verb`, past tense (`dataset.published`).
 */
export async function record(tx: Db, ctx: AuditCtx, action: string, target: AuditTarget) {
  const actor = ctx.actor;
  await tx.insert(auditEvents).values({
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
  });
}

/** The actor for acts the platform does by itself (seeding, CLI, scheduled jobs). */
export const systemCtx = (requestId: string): AuditCtx => ({
  actor: { kind: 'anonymous' },
  requestId,
  ipHash: null,
  system: true,
});
