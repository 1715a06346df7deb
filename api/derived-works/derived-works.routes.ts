import { Router } from 'express';
import { requireUser } from '../auth/authenticate.ts';
import { UuidParam } from '../common.schema.ts';
import { DatasetParams } from '../datasets/datasets.schema.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { presentDerivedWork } from './derived-works.present.ts';
import { RegisterDerivedWork } from './derived-works.schema.ts';
import { listForDataset, listForGrant, registerDerivedWork } from './derived-works.service.ts';

/** `POST` and `GET /grants/:id/derived-works`, mounted there. */
export function grantDerivedWorksRoutes(store: ObjectStore): Router {
  const r = Router({ mergeParams: true });
  r.post('/', requireUser, async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const w = await registerDerivedWork(req.ctx, store, id, RegisterDerivedWork.parse(req.body ?? {}));
    res.status(201).json(presentDerivedWork(w, { withGrant: true }));
  });
  r.get('/', async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const items = await listForGrant(req.ctx, id);
    res.json({ items: items.map((w) => presentDerivedWork(w, { withGrant: true })) });
  });
  return r;
}

/** `GET /datasets/:slug/derived-works`, mounted there. */
export function datasetDerivedWorksRoutes(): Router {
  const r = Router({ mergeParams: true });
  r.get('/', async (req, res) => {
    const { slug } = DatasetParams.parse(req.params);
    const items = await listForDataset(req.ctx, slug);
    res.json({ items: items.map((w) => presentDerivedWork(w)) });
  });
  return r;
}
