import { type RequestHandler, Router } from 'express';
import { type Authenticator, bearerTokenHash, requireUser } from '../auth/authenticate.ts';
import { UuidParam } from '../common.schema.ts';
import { presentFile } from '../datasets/datasets.present.ts';
import { downloadCaller, overLimit, rateLimited } from '../middleware/rate-limit.ts';
import { setSignalHeaders } from '../signals/signals.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { presentUpload } from './files.present.ts';
import { CompleteFile } from './files.schema.ts';
import {
  completeFile,
  issueDownload,
  issueDownloadOf,
  readForTokenDownload,
  renewUpload,
  type UploadSettings,
} from './files.service.ts';

/**
 * `GET /files/:id/download`, mounted ahead of the api's authentication: with a bearer token it reads the
 * token's principal and the file in one round trip (the hot path of scripts and the CLI); otherwise it
 * resolves the session (or anonymous) as every route does.
 */
export function downloadRoute(
  auth: Authenticator,
  store: ObjectStore,
  opts: { ratePerMinute: number; publicUrl: string },
): RequestHandler {
  const window = { limit: opts.ratePerMinute, windowSeconds: 60 };
  return async (req, res, next) => {
    const { id } = UuidParam.parse(req.params);
    const tokenHash = bearerTokenHash(req);
    // Counted per token, signed-in user or IP, alongside the route's own read (no added round trip).
    const limited = overLimit(auth.db, 'download', downloadCaller(req, tokenHash), window);
    let out: Awaited<ReturnType<typeof issueDownload>>;
    if (tokenHash !== undefined) {
      const [{ principal, file }, over] = await Promise.all([
        readForTokenDownload(auth.db, tokenHash, id),
        limited,
      ]);
      if (over) return next(rateLimited(res, window.windowSeconds));
      auth.fromToken(req, principal);
      out = await issueDownloadOf(req.ctx, store, file);
    } else {
      const [, over] = await Promise.all([auth.fromSession(req), limited]);
      if (over) return next(rateLimited(res, window.windowSeconds));
      out = await issueDownload(req.ctx, store, id);
    }
    res.setHeader('Cache-Control', 'no-store');
    // Signed URLs cannot carry the AI-preference signals: the gate that redirects to them does.
    setSignalHeaders(res, opts.publicUrl, out.signals);
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
  };
}

export function filesRoutes(store: ObjectStore, uploads: UploadSettings): Router {
  const r = Router();
  r.post('/:id/complete', requireUser, async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const input = CompleteFile.parse(req.body ?? {});
    const { d, r: rel, f } = await completeFile(req.ctx, store, uploads, id, input);
    res.json(presentFile(req.ctx.ability, d, rel, f));
  });
  r.post('/:id/upload', requireUser, async (req, res) => {
    const { id } = UuidParam.parse(req.params);
    const upload = await renewUpload(req.ctx, store, uploads, id);
    res.json({
      upload: presentUpload(upload),
    });
  });
  return r;
}
