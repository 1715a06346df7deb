import type { RequestHandler } from 'express';
import { AppError } from '../errors.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie-authenticated state changes must come from our own pages: `SameSite=Lax` cookies plus an
 * Origin / Sec-Fetch-Site check. Bearer-token requests carry no ambient credential and are exempt.
 */
export function csrfGuard(publicOrigin: string): RequestHandler {
  return (req, _res, next) => {
    if (SAFE.has(req.method) || req.headers.authorization) return next();
    if (!req.headers.cookie) return next(); // nothing ambient to abuse
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    if (site === 'same-origin' || origin === publicOrigin) return next();
    if (!site && !origin) return next(); // non-browser clients (curl) send neither and cannot be forged cross-site
    next(new AppError(403, 'csrf_rejected', 'Cross-site request refused.'));
  };
}
