import { type RequestHandler, Router } from 'express';
import type { Db } from '../../db/index.ts';
import { accessibleWhere, anonymous, defineAbilityFor } from '../../policies/index.ts';
import { publicCatalog } from '../catalog/catalog.service.ts';
import type { ExportEntry } from '../catalog/dcat.ts';
import { Slug } from '../common.schema.ts';
import { datasetColumns } from '../datasets/datasets.repo.ts';
import { signalFactsBySlug } from './signals.repo.ts';
import { contentUsage, offerUrl, reserved, type SignalFacts, setSignalHeaders } from './signals.ts';

/**
 * AI crawlers that honour robots.txt for training, by the product tokens their operators document
 * (the practice of publishers' robots.txt files and the ai.robots.txt list): training crawlers only,
 * not search or user-initiated fetchers, which the `*` group covers.
 */
export const AI_TRAINING_AGENTS = [
  'GPTBot',
  'ClaudeBot',
  'Google-Extended',
  'Applebot-Extended',
  'CCBot',
  'meta-externalagent',
  'Bytespider',
  'cohere-training-data-crawler',
];

const facts = (e: ExportEntry, tier = e.d.tier): SignalFacts => ({
  trainAi: e.d.trainAi,
  tier,
  datasetSlug: e.d.slug,
  licenceVersion: e.licence?.version ?? null,
});

/** The paths a dataset is served at: its page and its API resources (not its neighbours' slugs). */
const datasetPaths = (slug: string) => [
  `/datasets/${slug}$`,
  `/datasets/${slug}/`,
  `/api/v1/datasets/${slug}$`,
  `/api/v1/datasets/${slug}/`,
];

/**
 * `/.well-known/tdmrep.json` (TDMRep §3.3): one rule per path pattern with its reservation and, where
 * reserved, the policy. Files come first: a file's tier may differ from its dataset's (an open sample).
 */
export function tdmrep(publicUrl: string, entries: ExportEntry[]) {
  const rule = (location: string, f: SignalFacts) => {
    const r = reserved(f);
    const policy = offerUrl(publicUrl, f);
    return {
      location,
      'tdm-reservation': r ? 1 : 0,
      ...(r && policy ? { 'tdm-policy': policy } : {}),
    };
  };
  const files = entries.flatMap((e) =>
    e.files
      .filter((f) => f.status === 'available')
      .map((f) => rule(`/api/v1/files/${f.id}/download`, facts(e, f.tier ?? e.d.tier))),
  );
  const datasets = entries.flatMap((e) =>
    [`/datasets/${e.d.slug}`, `/api/v1/datasets/${e.d.slug}`, `/api/v1/datasets/${e.d.slug}/*`].map((l) =>
      rule(l, facts(e)),
    ),
  );
  return [...files, ...datasets];
}

/**
 * robots.txt: everyone may crawl the catalog and the pages; downloads (each one a recorded act) and
 * sign-in are not for crawlers. AI training crawlers are also kept off every dataset that reserves its
 * rights, and each stated preference is repeated as an IETF aipref `Content-Usage` rule.
 */
export function robotsTxt(entries: ExportEntry[]) {
  const closedToAll = ['/api/v1/files/', '/auth/', '/oidc/'];
  const reservedPaths = entries.filter((e) => reserved(facts(e))).flatMap((e) => datasetPaths(e.d.slug));
  const usage = entries.flatMap((e) => {
    const u = contentUsage(e.d.trainAi);
    return u ? datasetPaths(e.d.slug).map((p) => `Content-Usage: ${p} ${u}`) : [];
  });
  return [
    '# Steward: AI-preference signals per dataset are also in /.well-known/tdmrep.json',
    '# and in the tdm-reservation, tdm-policy and Content-Usage headers of every dataset response.',
    '',
    'User-agent: *',
    'Allow: /api/v1/catalog/',
    ...closedToAll.map((p) => `Disallow: ${p}`),
    'Allow: /',
    ...usage,
    '',
    ...AI_TRAINING_AGENTS.map((a) => `User-agent: ${a}`),
    'Allow: /api/v1/catalog/',
    ...closedToAll.map((p) => `Disallow: ${p}`),
    ...reservedPaths.map((p) => `Disallow: ${p}`),
    'Allow: /',
    '',
  ].join('\n');
}

/**
 * `/robots.txt` and `/.well-known/tdmrep.json`, outside `/api/v1`, built from the public catalog; and the
 * signal headers on the web app's dataset pages (`/datasets/:slug`), which the web fallback then serves.
 */
export function signalsRoutes(db: Db, publicUrl: string): Router {
  const r = Router();
  const publicRead = accessibleWhere(defineAbilityFor(anonymous), 'read', 'Dataset', datasetColumns);
  r.get('/datasets/:slug', async (req, res, next) => {
    // Only for what anyone may read: a draft's or closed dataset's page must not reveal it exists.
    const slug = Slug.safeParse(req.params.slug);
    if (req.accepts('html') && slug.success) {
      const facts = await signalFactsBySlug(db, slug.data, publicRead);
      if (facts) setSignalHeaders(res, publicUrl, facts);
    }
    next();
  });
  const cached: RequestHandler = (_req, res, next) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    next();
  };
  r.get('/robots.txt', cached, async (_req, res) => {
    res.type('text/plain; charset=utf-8').send(robotsTxt(await publicCatalog({ db })));
  });
  r.get('/.well-known/tdmrep.json', cached, async (_req, res) => {
    res.json(tdmrep(publicUrl, await publicCatalog({ db })));
  });
  return r;
}
