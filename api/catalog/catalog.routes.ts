import { Router } from 'express';
import { DatasetParams } from '../datasets/datasets.schema.ts';
import { setSignalHeaders } from '../signals/signals.ts';
import { datasetEntry, publicCatalog } from './catalog.service.ts';
import { croissant } from './croissant.ts';
import { dcatCatalog } from './dcat.ts';

const JSONLD = 'application/ld+json; charset=utf-8';

/** `GET /catalog/dcat.jsonld`: the DCAT-AP 3 catalog of what anyone may read. */
export function catalogRoutes(publicUrl: string): Router {
  const r = Router();
  r.get('/dcat.jsonld', async (req, res) => {
    const entries = await publicCatalog(req.ctx);
    res.type(JSONLD).send(JSON.stringify(dcatCatalog(publicUrl, entries)));
  });
  return r;
}

/** `GET /datasets/:slug/croissant.jsonld`: Croissant 1.1 + RAI, with the dataset's AI-preference signals. */
export function croissantRoutes(publicUrl: string): Router {
  const r = Router();
  r.get('/datasets/:slug/croissant.jsonld', async (req, res) => {
    const { slug } = DatasetParams.parse(req.params);
    const e = await datasetEntry(req.ctx, slug);
    setSignalHeaders(res, publicUrl, {
      trainAi: e.d.trainAi,
      tier: e.d.tier,
      datasetSlug: e.d.slug,
      licenceVersion: e.licence?.version ?? null,
    });
    res.type(JSONLD).send(JSON.stringify(croissant(publicUrl, e)));
  });
  return r;
}
