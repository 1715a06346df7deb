import { Router } from 'express';
import { requireUser } from '../auth/authenticate.ts';
import { UuidParam } from '../common.schema.ts';
import { presentFile } from '../datasets/datasets.present.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { presentUpload } from './files.present.ts';
import { completeFile, issueDownload, renewUpload } from './files.service.ts';

export function filesRoutes(store: ObjectStore): Router {
  const r = Router();
  r.get('/:id/download', async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const out = await issueDownload(req.ctx, store, id);
    res.setHeader('Cache-Control', 'no-store');
    // Browsers follow the redirect; scripts asking for JSON get the signed URL to fetch themselves.
    if (!req.accepts('html') && req.accepts('json')) {
      res.json({
        url: out.url,
        expiresAt: out.expiresAt,
        sha256: out.sha256,
        size: out.size,
        name: out.name,
      });
    } else {
      res.redirect(302, out.url);
    }
  });
  r.post('/:id/complete', requireUser, async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const { d, r: rel, f } = await completeFile(req.ctx, store, id);
    res.json(presentFile(req.ctx.ability, d, rel, f));
  });
  r.post('/:id/upload', requireUser, async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const upload = await renewUpload(req.ctx, store, id);
    res.json({
      upload: presentUpload(upload),
    });
  });
  return r;
}
