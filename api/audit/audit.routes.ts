import { Router } from 'express';
import { CommunityParams } from '../communities/communities.schema.ts';
import { type AuditPublicKey, presentCheckpoint } from './audit.present.ts';
import { CommunityAuditQuery, ConsistencyQuery } from './audit.schema.ts';
import { communityAudit, consistency, latestCheckpoint } from './audit.service.ts';

/** `/audit`: the signed checkpoint and consistency proofs, for anyone. */
export function auditRoutes(key: AuditPublicKey): Router {
  const r = Router();
  r.get('/checkpoint', async (req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.json(presentCheckpoint(await latestCheckpoint(req.ctx), key));
  });
  r.get('/consistency', async (req, res) => {
    res.json(await consistency(req.ctx, ConsistencyQuery.parse(req.query)));
  });
  return r;
}

/** `/communities/:slug/audit`: the community's events with hashes and inclusion proofs. */
export function communityAuditRoutes(key: AuditPublicKey): Router {
  const r = Router({ mergeParams: true });
  r.get('/', async (req, res) => {
    const { slug } = CommunityParams.parse(req.params);
    const out = await communityAudit(req.ctx, slug, CommunityAuditQuery.parse(req.query));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ...out, checkpoint: out.checkpoint && presentCheckpoint(out.checkpoint, key) });
  });
  return r;
}
