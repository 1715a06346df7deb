import { Router } from 'express';
import type { Db } from '../../db/index.ts';
import { requireUser } from '../auth/authenticate.ts';
import { UuidParam } from '../common.schema.ts';
import { DatasetParams } from '../datasets/datasets.schema.ts';
import type { GrantIssuer } from '../grants/grants.agreement.ts';
import { rateLimit } from '../middleware/rate-limit.ts';
import { presentRequest, presentRequestSummary } from './access-requests.present.ts';
import {
  CastReview,
  CreateAccessRequest,
  ListAccessRequests,
  parseBody,
  ResubmitAccessRequest,
  Withdraw,
} from './access-requests.schema.ts';
import {
  castReview,
  createRequest,
  getRequest,
  listRequests,
  resubmitRequest,
  withdrawRequest,
} from './access-requests.service.ts';

/** Mounted at `/datasets/:slug/access-requests`. */
export function datasetAccessRequestsRoutes(db: Db, issuer: GrantIssuer): Router {
  const r = Router({ mergeParams: true });
  r.post(
    '/',
    requireUser,
    rateLimit(db, {
      name: 'access-request',
      limit: 30,
      windowSeconds: 3600,
      key: (req) => (req.ctx.actor as { userId?: string }).userId ?? req.ip ?? '',
    }),
    async (req, res) => {
      const { slug } = DatasetParams.parse(req.params);
      const x = await createRequest(req.ctx, issuer, slug, parseBody(CreateAccessRequest, req.body));
      res
        .status(201)
        .location(`/api/v1/access-requests/${x.row.request.id}`)
        .json(presentRequest(req.ctx.ability, x));
    },
  );
  return r;
}

/** Mounted at `/access-requests`. */
export function accessRequestsRoutes(issuer: GrantIssuer): Router {
  const r = Router();
  r.use(requireUser);
  r.get('/', async (req, res) => {
    const rows = await listRequests(req.ctx, ListAccessRequests.parse(req.query));
    res.json({ items: rows.map(({ row, subject }) => presentRequestSummary(req.ctx.ability, row, subject)) });
  });
  r.get('/:id', async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    res.json(presentRequest(req.ctx.ability, await getRequest(req.ctx, id)));
  });
  r.patch('/:id', async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const x = await resubmitRequest(req.ctx, issuer, id, parseBody(ResubmitAccessRequest, req.body));
    res.json(presentRequest(req.ctx.ability, x));
  });
  r.post('/:id/withdraw', async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const { reason } = parseBody(Withdraw, req.body);
    res.json(presentRequest(req.ctx.ability, await withdrawRequest(req.ctx, id, reason)));
  });
  r.post('/:id/reviews', async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const x = await castReview(req.ctx, issuer, id, parseBody(CastReview, req.body));
    res.status(201).json(presentRequest(req.ctx.ability, x));
  });
  return r;
}
