import { Router } from 'express';
import { requireUser } from '../auth/authenticate.ts';
import { UuidParam } from '../common.schema.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { presentObligation } from './obligations.present.ts';
import { ObligationReason, SubmitEvidence, VerifyObligation } from './obligations.schema.ts';
import {
  actOnObligation,
  evidenceFile,
  listForGrant,
  loadObligation,
  submitEvidence,
} from './obligations.service.ts';

/** Mounted at `/obligations`. */
export function obligationsRoutes(store: ObjectStore): Router {
  const r = Router();
  r.get('/:id', async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const o = await loadObligation(req.ctx, id);
    res.json(presentObligation(o.row.obligation, { ability: req.ctx.ability, grant: o.grant }));
  });
  r.post('/:id/evidence', requireUser, async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const o = await submitEvidence(req.ctx, store, id, SubmitEvidence.parse(req.body ?? {}));
    res.json({
      ...presentObligation(o.row.obligation, { ability: req.ctx.ability, grant: o.grant }),
      ...(o.upload ? { upload: o.upload } : {}),
    });
  });
  // The evidence file: `302` to a short-lived signed GET, or `{ url, expiresAt }` for `Accept: application/json`.
  r.get('/:id/evidence/file', requireUser, async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const signed = await evidenceFile(req.ctx, store, id);
    if (req.accepts(['text/html', 'application/json']) === 'application/json')
      return void res.json({ url: signed.url, expiresAt: signed.expiresAt });
    res.redirect(302, signed.url);
  });
  for (const action of ['verify', 'waive', 'reject'] as const)
    r.post(`/:id/${action}`, requireUser, async (req, res) => {
      const { id } = UuidParam.parse(req.params);
      const body =
        action === 'verify' ? VerifyObligation.parse(req.body ?? {}) : ObligationReason.parse(req.body ?? {});
      const o = await actOnObligation(req.ctx, store, id, action, body);
      const who = { ability: req.ctx.ability, grant: o.grant };
      res.json({
        ...presentObligation(o.row.obligation, who),
        next: o.next ? presentObligation(o.next, who) : null,
      });
    });
  return r;
}

/** `GET /grants/:id/obligations`, mounted at `/grants/:id/obligations`. */
export function grantObligationsRoutes(): Router {
  const r = Router({ mergeParams: true });
  r.get('/', async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const g = await listForGrant(req.ctx, id);
    res.json({
      items: g.obligations.map((o) => presentObligation(o, { ability: req.ctx.ability, grant: g.subject })),
    });
  });
  return r;
}
