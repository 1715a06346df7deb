import { Router } from 'express';
import { duoTerms } from '../../policies/duo.ts';
import { reciprocityKinds, reciprocityTimings } from '../../policies/licence-terms.ts';
import { prohibitionTerms, purposeTerms } from '../../policies/purposes.ts';
import { requireUser } from '../auth/authenticate.ts';
import { DatasetParams } from '../datasets/datasets.schema.ts';
import { notFound } from '../errors.ts';
import { offerFor, profileDocument } from './licences.odrl.ts';
import { presentLicence } from './licences.present.ts';
import { LicenceParams, parseLicence } from './licences.schema.ts';
import { createLicence, listLicences, loadLicence, withdrawLicence } from './licences.service.ts';
import { licenceTemplates } from './licences.templates.ts';

const JSONLD = 'application/ld+json';

/** Mounted at `/datasets/:slug/licences`. */
export function licencesRoutes(publicUrl: string): Router {
  const r = Router({ mergeParams: true });
  r.post('/', requireUser, async (req, res) => {
    const { slug } = DatasetParams.parse(req.params);
    const { d, l } = await createLicence(req.ctx, slug, parseLicence(req.body));
    res
      .status(201)
      .location(`/api/v1/datasets/${d.slug}/licences/${l.version}`)
      .json(presentLicence(req.ctx.ability, d, l));
  });
  r.get('/', async (req, res) => {
    const { slug } = DatasetParams.parse(req.params);
    const { d, rows } = await listLicences(req.ctx, slug);
    res.json({ items: rows.map((l) => presentLicence(req.ctx.ability, d, l)) });
  });
  r.get('/:version', async (req, res) => {
    const { slug, version } = LicenceParams.parse(req.params);
    const { d, l } = await loadLicence(req.ctx, slug, version);
    res.json(presentLicence(req.ctx.ability, d, l));
  });
  r.get('/:version/odrl.jsonld', async (req, res) => {
    const { slug, version } = LicenceParams.parse(req.params);
    const { d, l } = await loadLicence(req.ctx, slug, version);
    res.type(JSONLD).send(JSON.stringify(offerFor(publicUrl, d, l), null, 2));
  });
  r.post('/:version/withdraw', requireUser, async (req, res) => {
    const { slug, version } = LicenceParams.parse(req.params);
    const { d, l } = await withdrawLicence(req.ctx, slug, version);
    res.json(presentLicence(req.ctx.ability, d, l));
  });
  return r;
}

/** The words licences are written in: templates, purposes, DUO terms, and the ODRL profile. Public. */
export function licenceVocabularyRoutes(publicUrl: string): Router {
  const r = Router();
  const profile = JSON.stringify(profileDocument(publicUrl), null, 2);
  r.get('/licence-templates', (_req, res) => {
    res.json({ items: licenceTemplates });
  });
  r.get('/licence-templates/:id', (req, res) => {
    const t = licenceTemplates.find((x) => x.id === req.params.id);
    if (!t) throw notFound('licence_template');
    res.json(t);
  });
  r.get('/purposes', (_req, res) => {
    res.json({
      purposes: purposeTerms,
      duo: duoTerms,
      prohibitions: prohibitionTerms,
      reciprocity: { kinds: reciprocityKinds, timings: reciprocityTimings },
    });
  });
  r.get('/odrl/profile.jsonld', (_req, res) => {
    res.type(JSONLD).send(profile);
  });
  return r;
}
