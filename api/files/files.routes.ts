import { randomUUID } from 'node:crypto';
import { type RequestHandler, Router } from 'express';
import type { Logger } from 'pino';
import { type Authenticator, bearerTokenHash, requireUser } from '../auth/authenticate.ts';
import { UuidParam } from '../common.schema.ts';
import { presentFile } from '../datasets/datasets.present.ts';
import { downloadCaller, rateLimited } from '../middleware/rate-limit.ts';
import { setSignalHeaders } from '../signals/signals.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { presentUpload } from './files.present.ts';
import { CompleteFile } from './files.schema.ts';
import {
  completeFile,
  issueDownloadOf,
  readForDownload,
  readForTokenDownload,
  renewUpload,
  type UploadSettings,
} from './files.service.ts';

/**
 * What the download gate sets before anything else, in place of request logging and helmet: a request id
 * (also in problem+json), the logger, and the few headers a redirect or a JSON answer needs.
 */
export function gateHeaders(logger: Logger, secure: boolean): RequestHandler {
  return (req, res, next) => {
    req.id = randomUUID();
    req.log = logger;
    res.setHeader('X-Request-Id', req.id);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The object store is not told which page sent the browser (the redirect's own policy applies).
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  };
}

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
  const windowSeconds = 60;
  return async (req, res, next) => {
    const { id } = UuidParam.parse(req.params);
    const tokenHash = bearerTokenHash(req);
    // Counted per token, signed-in user or IP, by the route's own read statement (no added round trip).
    const hit = { key: `download:${downloadCaller(req, tokenHash)}`, windowSeconds };
    let out: Awaited<ReturnType<typeof issueDownloadOf>>;
    if (tokenHash !== undefined) {
      const { principal, file, hits } = await readForTokenDownload(auth.db, tokenHash, id, hit);
      if (hits > opts.ratePerMinute) return next(rateLimited(res, windowSeconds));
      auth.fromToken(req, principal);
      out = await issueDownloadOf(req.ctx, store, file);
    } else {
      const [{ file, hits }] = await Promise.all([readForDownload(auth.db, id, hit), auth.fromSession(req)]);
      if (hits > opts.ratePerMinute) return next(rateLimited(res, windowSeconds));
      out = await issueDownloadOf(req.ctx, store, file);
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
