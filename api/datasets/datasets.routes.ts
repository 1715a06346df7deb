import { type Request, type Response, Router } from 'express';
import { labelTypes } from '../../policies/local-contexts.ts';
import { requireUser } from '../auth/authenticate.ts';
import { setSignalHeaders } from '../signals/signals.ts';
import { presentDataset, presentDatasetSummary } from './datasets.present.ts';
import { CreateDataset, DatasetParams, ListDatasets, UpdateDataset } from './datasets.schema.ts';
import {
  createDataset,
  getDataset,
  getLabelSuggestions,
  listDatasets,
  publishDataset,
  updateDataset,
  withdrawDataset,
} from './datasets.service.ts';
import { acceptedLanguages } from './search-config.ts';

export function datasetsRoutes(publicUrl: string): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    const { rows, nextCursor } = await listDatasets(
      req.ctx,
      ListDatasets.parse(req.query),
      acceptedLanguages(req.get('accept-language')),
    );
    res.json({ items: rows.map((d) => presentDatasetSummary(d)), nextCursor });
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
    const { d, rels, licence } = await getDataset(req.ctx, slug);
    setSignalHeaders(res, publicUrl, {
      trainAi: d.trainAi,
      tier: d.tier,
      datasetSlug: d.slug,
      licenceVersion: licence?.version ?? null,
    });
    res.json(presentDataset(req.ctx.ability, d, rels, licence));
  });
  r.get('/:slug/label-suggestions', async (req, res) => {
    const { slug } = DatasetParams.parse(req.params);
    res.json({ items: await getLabelSuggestions(req.ctx, slug) });
  });
  // Every change answers with the dataset page as the caller now sees it.
  const change =
    (act: (req: Request, slug: string) => Promise<unknown>) => async (req: Request, res: Response) => {
      const { slug } = DatasetParams.parse(req.params);
      await act(req, slug);
      const { d, rels, licence } = await getDataset(req.ctx, slug);
      res.json(presentDataset(req.ctx.ability, d, rels, licence));
    };
  r.patch(
    '/:slug',
    requireUser,
    change((req, slug) => updateDataset(req.ctx, slug, UpdateDataset.parse(req.body))),
  );
  r.post(
    '/:slug/publish',
    requireUser,
    change((req, slug) => publishDataset(req.ctx, slug)),
  );
  r.post(
    '/:slug/withdraw',
    requireUser,
    change((req, slug) => withdrawDataset(req.ctx, slug)),
  );
  return r;
}

/** `GET /local-contexts/labels`: the Local Contexts Labels and Notices a dataset may carry, with what each suggests. */
export function localContextsRoutes(): Router {
  const r = Router();
  r.get('/local-contexts/labels', (_req, res) => {
    res.json({ items: labelTypes });
  });
  return r;
}
