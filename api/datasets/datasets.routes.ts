import { Router } from 'express';
import { requireUser } from '../auth/authenticate.ts';
import { presentDataset, presentDatasetSummary } from './datasets.present.ts';
import { CreateDataset, DatasetParams, ListDatasets, UpdateDataset } from './datasets.schema.ts';
import {
  createDataset,
  getDataset,
  listDatasets,
  publishDataset,
  updateDataset,
  withdrawDataset,
} from './datasets.service.ts';

export function datasetsRoutes(): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    const { rows, nextCursor } = await listDatasets(req.ctx, ListDatasets.parse(req.query));
    res.json({ items: rows.map(presentDatasetSummary), nextCursor });
  });
  r.post('/', requireUser, async (req, res) => {
    const d = await createDataset(req.ctx, CreateDataset.parse(req.body));
    res
      .status(201)
      .location(`/api/v1/datasets/${d.slug}`)
      .json(presentDataset(req.ctx.ability, d, []));
  });
  r.get('/:slug', async (req, res) => {
    const { slug } = DatasetParams.parse(req.params);
    const { d, rels } = await getDataset(req.ctx, slug);
    res.json(presentDataset(req.ctx.ability, d, rels));
  });
  const transition =
    (fn: typeof publishDataset) =>
    async (
      req: Parameters<Parameters<typeof r.post>[1]>[0],
      res: Parameters<Parameters<typeof r.post>[1]>[1],
    ) => {
      const { slug } = DatasetParams.parse(req.params);
      await fn(req.ctx, slug);
      const { d, rels } = await getDataset(req.ctx, slug);
      res.json(presentDataset(req.ctx.ability, d, rels));
    };
  r.patch('/:slug', requireUser, async (req, res) => {
    const { slug } = DatasetParams.parse(req.params);
    await updateDataset(req.ctx, slug, UpdateDataset.parse(req.body));
    const { d, rels } = await getDataset(req.ctx, slug);
    res.json(presentDataset(req.ctx.ability, d, rels));
  });
  r.post('/:slug/publish', requireUser, transition(publishDataset));
  r.post('/:slug/withdraw', requireUser, transition(withdrawDataset));
  return r;
}
