import { Router } from 'express';
import type { Db } from '../../db/index.ts';
import { defineAbilityFor } from '../../policies/ability.ts';
import { anonymous } from '../../policies/actor.ts';
import type { Ctx } from '../context.ts';
import { DatasetParams } from '../datasets/datasets.schema.ts';
import { AppError } from '../errors.ts';
import { setSignalHeaders } from '../signals/signals.ts';
import { indexHtmlWith } from '../web-static.ts';
import { CATALOG_PAGE_SIZE, CatalogPageQuery } from './catalog.schema.ts';
import { datasetEntry, publicCatalogPage } from './catalog.service.ts';
import { croissant } from './croissant.ts';
import { dcatCatalog } from './dcat.ts';
import { jsonLdScript, schemaOrgDataset } from './schema-org.ts';

const JSONLD = 'application/ld+json; charset=utf-8';

/**
 * `GET /catalog/dcat.jsonld?cursor=&limit=`: the DCAT-AP 3 catalog of what anyone may read, a page at
 * a time: the page's `hydra:view` and a `Link: rel="next"` header lead to the next.
 */
export function catalogRoutes(publicUrl: string): Router {
  const r = Router();
  r.get('/dcat.jsonld', async (req, res) => {
    const q = CatalogPageQuery.parse(req.query);
    const { entries, next } = await publicCatalogPage(req.ctx, q);
    const base = `${publicUrl}/api/v1/catalog/dcat.jsonld`;
    const pageUrl = (cursor?: string) => {
      const params = new URLSearchParams();
      if (cursor) params.set('cursor', cursor);
      if (q.limit !== CATALOG_PAGE_SIZE) params.set('limit', String(q.limit));
      const s = params.toString();
      return s ? `${base}?${s}` : base;
    };
    const view = { self: pageUrl(q.cursor), first: pageUrl(), next: next ? pageUrl(next) : undefined };
    if (view.next) res.setHeader('Link', `<${view.next}>; rel="next"`);
    res.type(JSONLD).send(JSON.stringify(dcatCatalog(publicUrl, entries, view)));
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

/**
 * The dataset's web page (`GET /datasets/:slug`, HTML) with its schema.org JSON-LD in the head, from the
 * anonymous view: what anyone may read. Anything else (unknown, closed, draft, not HTML) falls through
 * to the web app, which answers as usual.
 */
export function datasetPageRoute(db: Db, publicUrl: string): Router {
  const r = Router();
  const ability = defineAbilityFor(anonymous);
  r.get('/datasets/:slug', async (req, res, next) => {
    const slug = DatasetParams.safeParse(req.params);
    if (!req.accepts('html') || !slug.success) return next();
    const ctx: Ctx = {
      actor: anonymous,
      ability,
      db,
      now: new Date(),
      requestId: String(req.id),
      ipHash: null,
    };
    const e = await datasetEntry(ctx, slug.data.slug).catch((err) => {
      if (err instanceof AppError && err.status === 404) return undefined;
      throw err;
    });
    if (e?.d.status !== 'published') return next();
    const html = indexHtmlWith(jsonLdScript(schemaOrgDataset(publicUrl, e)));
    if (!html) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(html);
  });
  return r;
}
