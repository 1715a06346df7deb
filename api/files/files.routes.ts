import { randomUUID } from 'node:crypto';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import type { Logger } from 'pino';
import { regexes } from 'zod';
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

// zod's own test for `z.uuid()`: a valid id skips the schema parse; anything else goes through it, for its 400.
const uuid = regexes.uuid();

/**
 * Whether a download answers JSON rather than a redirect: exactly `!req.accepts('html') && req.accepts('json')`,
 * with the headers scripts send most (none, any type, `application/json`) decided without
 * content negotiation, which cost the path several per cent of its CPU.
 */
export function wantsJson(req: Request): boolean {
  const accept = req.headers.accept;
  // No header, or any type, accepts html.
  if (!accept || accept === '*/*') return false;
  if (accept === 'application/json') return true;
  return !req.accepts('html') && !!req.accepts('json');
}

/**
 * A 302 to `url`, written out: what `res.redirect` sends a client without an Accept header (a short text
 * note, `Vary: Accept`), without its content negotiation and HTML escaping (~3% of the path's CPU). The
 * URL is ours and already encoded (a signed URL), so it needs no `encodeurl` either.
 */
function found(res: Response, url: string): void {
  const body = `Found. Redirecting to ${url}`;
  res.statusCode = 302;
  res.setHeader('Location', url);
  res.vary('Accept');
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
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
    const raw = req.params.id;
    const id = typeof raw === 'string' && uuid.test(raw) ? raw : UuidParam.parse(req.params).id;
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
    if (wantsJson(req)) {
      res.json({
        url: out.url,
        expiresAt: out.expiresAt,
        sha256: out.sha256,
        size: out.size,
        name: out.name,
      });
    } else {
      found(res, out.url);
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
