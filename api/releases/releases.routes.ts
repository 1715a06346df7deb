import { Router } from 'express';
import { bearerTokenHash, requireUser } from '../auth/authenticate.ts';
import { presentFile, presentRelease } from '../datasets/datasets.present.ts';
import { DatasetParams } from '../datasets/datasets.schema.ts';
import { presentUpload } from '../files/files.present.ts';
import { RegisterFile } from '../files/files.schema.ts';
import { registerFile, type UploadSettings } from '../files/files.service.ts';
import { downloadCaller, overLimit, rateLimited } from '../middleware/rate-limit.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { presentManifest } from './manifest.present.ts';
import { ManifestParams, ManifestQuery } from './manifest.schema.ts';
import { releaseManifest } from './manifest.service.ts';
import { CreateRelease, ReleaseParams } from './releases.schema.ts';
import { createRelease, getRelease, publishRelease } from './releases.service.ts';

/** Mounted at `/datasets/:slug/releases`. */
export function releasesRoutes(
  store: ObjectStore,
  uploads: UploadSettings,
  limits: { downloadRatePerMinute: number },
): Router {
  const r = Router({ mergeParams: true });
  r.post('/', requireUser, async (req, res) => {
    const { slug } = DatasetParams.parse(req.params);
    const { d, r: rel } = await createRelease(req.ctx, slug, CreateRelease.parse(req.body));
    res.status(201).json(presentRelease(req.ctx.ability, d, rel, []));
  });
  r.get('/:tag', async (req, res) => {
    const { slug, tag } = ReleaseParams.parse(req.params);
    const { d, r: rel, files } = await getRelease(req.ctx, slug, tag);
    res.json(presentRelease(req.ctx.ability, d, rel, files));
  });
  r.get('/:tag/manifest', async (req, res) => {
    const { slug, tag } = ManifestParams.parse(req.params);
    const query = ManifestQuery.parse(req.query);
    // Each signed URL counts against the same per-caller limit as GET /files/:id/download.
    const window = { limit: limits.downloadRatePerMinute, windowSeconds: 60 };
    const m = await releaseManifest(req.ctx, store, slug, tag, query, async (n) => {
      const who = downloadCaller(req, bearerTokenHash(req));
      if (await overLimit(req.ctx.db, 'download', who, window, n))
        throw rateLimited(res, window.windowSeconds);
    });
    // Signed URLs inside: never cached by anything between us and the caller.
    res.setHeader('Cache-Control', 'no-store');
    res.json(presentManifest(m));
  });
  r.post('/:tag/publish', requireUser, async (req, res) => {
    const { slug, tag } = ReleaseParams.parse(req.params);
    const { d, r: rel, files } = await publishRelease(req.ctx, slug, tag);
    res.json(presentRelease(req.ctx.ability, d, rel, files));
  });
  r.post('/:tag/files', requireUser, async (req, res) => {
    const { slug, tag } = ReleaseParams.parse(req.params);
    const {
      d,
      r: rel,
      f,
      upload,
    } = await registerFile(req.ctx, store, uploads, slug, tag, RegisterFile.parse(req.body));
    res.status(201).json({
      ...presentFile(req.ctx.ability, d, rel, f),
      upload: presentUpload(upload),
    });
  });
  return r;
}
