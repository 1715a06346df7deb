import { accessibleWhere } from '../../policies/sql.ts';
import { subjectOf } from '../../policies/subject.ts';
import * as communities from '../communities/communities.repo.ts';
import type { Ctx } from '../context.ts';
import { AppError, badRequest, notFound } from '../errors.ts';
import * as repo from './audit.repo.ts';
import type { CommunityAuditQuery, ConsistencyQuery } from './audit.schema.ts';
import { consistencyProof, inclusionProof, type NodeReader, nodesNeeded } from './merkle.ts';

async function reader(ctx: Ctx, run: (get: NodeReader) => unknown): Promise<NodeReader> {
  const nodes = await repo.readNodes(ctx.db, nodesNeeded(run));
  return (level, index) => {
    const h = nodes.get(`${level}:${index}`);
    if (!h) throw new AppError(503, 'audit_tree_incomplete', 'The audit tree is being written; retry.');
    return h;
  };
}

/** The latest signed checkpoint; 404 before the sequencer signed the first one. */
export async function latestCheckpoint(ctx: Ctx) {
  const cp = await repo.latestCheckpoint(ctx.db);
  if (!cp) throw notFound('checkpoint');
  return cp;
}

/**
 * A community's integrated events, in leaf order, each with its hash and its inclusion proof against
 * one signed checkpoint (the latest, or the one the cursor names). Stewards and auditors only.
 */
export async function communityAudit(ctx: Ctx, slug: string, q: CommunityAuditQuery) {
  const community = await communities.findBySlug(ctx.db, slug);
  // 404, not 403: who may read a community's log is the community's business.
  if (!community || !ctx.ability.can('read', subjectOf('AuditEvent', { communityId: community.id })))
    throw notFound('audit_log');
  const [size, after] = q.cursor ? q.cursor.split('.').map(Number) : [undefined, -1];
  const cp = size === undefined ? await repo.latestCheckpoint(ctx.db) : await repo.checkpointAt(ctx.db, size);
  if (!cp) {
    if (size !== undefined) throw badRequest('bad_cursor', 'No checkpoint of that size.');
    return { checkpoint: null, items: [], nextCursor: null };
  }
  const where = accessibleWhere(ctx.ability, 'read', 'AuditEvent', repo.auditEventColumns);
  const rows = await repo.communityLeaves(ctx.db, where, community.id, cp.size, after, q.limit + 1);
  const page = rows.slice(0, q.limit);
  const prove = (get: NodeReader) => page.map((r) => inclusionProof(r.leafIndex, cp.size, get));
  const proofs = prove(await reader(ctx, prove));
  return {
    checkpoint: cp,
    items: page.map((r, i) => ({
      leafIndex: r.leafIndex,
      hash: r.hash.toString('hex'),
      proof: proofs[i].map((p) => p.toString('hex')),
      event: r.event,
    })),
    nextCursor: rows.length > q.limit ? `${cp.size}.${page[page.length - 1].leafIndex}` : null,
  };
}

/** RFC 6962 consistency proof between two tree sizes, both within the latest signed checkpoint. */
export async function consistency(ctx: Ctx, q: ConsistencyQuery) {
  const cp = await repo.latestCheckpoint(ctx.db);
  if (q.from > q.to || !cp || q.to > cp.size)
    throw badRequest('bad_range', `Need 1 ≤ from ≤ to ≤ ${cp?.size ?? 0} (the latest checkpoint's size).`);
  const prove = (get: NodeReader) => consistencyProof(q.from, q.to, get);
  const proof = prove(await reader(ctx, prove));
  return { from: q.from, to: q.to, proof: proof.map((p) => p.toString('hex')) };
}
