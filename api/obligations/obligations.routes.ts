import { Router } from 'express';
import { requireUser } from '../auth/authenticate.ts';
import { UuidParam } from '../common.schema.ts';
import { presentObligation } from './obligations.present.ts';
import { ObligationReason, SubmitEvidence, VerifyObligation } from './obligations.schema.ts';
import { actOnObligation, listForGrant, loadObligation, submitEvidence } from './obligations.service.ts';

/** Mounted at `/obligations`. */
export function obligationsRoutes(): Router {
  const r = Router();
  r.get('/:id', async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const o = await loadObligation(req.ctx, id);
    res.json(presentObligation(o.row.obligation, { ability: req.ctx.ability, grant: o.grant }));
  });
  r.post('/:id/evidence', requireUser, async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const o = await submitEvidence(req.ctx, id, SubmitEvidence.parse(req.body ?? {}));
    res.json(presentObligation(o.row.obligation, { ability: req.ctx.ability, grant: o.grant }));
  });
  for (const action of ['verify', 'waive', 'reject'] as const)
    r.post(`/:id/${action}`, requireUser, async (req, res) => {
      const { id } = UuidParam.parse(req.params);
      const body =
        action === 'verify' ? VerifyObligation.parse(req.body ?? {}) : ObligationReason.parse(req.body ?? {});
      const o = await actOnObligation(req.ctx, id, action, body);
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
