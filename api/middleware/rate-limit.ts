import type { RequestHandler } from 'express';
import type { Db } from '../../db/index.ts';
import { AppError } from '../errors.ts';
import { hit } from './rate-limit.repo.ts';

/**
 * Counts one hit for `who` under `name`; true when the caller is past `limit` in the current window.
 * For routes that start the count alongside their own queries (the download path).
 */
export async function overLimit(
  db: Db,
  name: string,
  who: string,
  opts: { limit: number; windowSeconds: number },
  n = 1,
): Promise<boolean> {
  return (await hit(db, `${name}:${who}`, opts.windowSeconds, n)) > opts.limit;
}

/**
 * Who a download is counted against, known before the caller is loaded: the bearer token (by a prefix
 * of its hash), the session's user, or the IP. The same key for every route that issues signed URLs.
 */
export function downloadCaller(req: Parameters<RequestHandler>[0], tokenHash: string | undefined): string {
  if (tokenHash) return `t:${tokenHash.slice(0, 32)}`;
  if (req.session?.userId) return `u:${req.session.userId}`;
  return `ip:${req.ip}`;
}

/** Who a request is counted against once its caller is loaded: the signed-in user, or the IP. */
export function callerKey(req: Parameters<RequestHandler>[0]): string {
  const actor = req.ctx.actor;
  return actor.kind === 'user' ? `u:${actor.userId}` : `ip:${req.ip}`;
}

export const rateLimited = (res: Parameters<RequestHandler>[1], windowSeconds: number) => {
  res.setHeader('Retry-After', String(windowSeconds));
  return new AppError(429, 'rate_limited', 'Too many requests; try again later.');
};

/**
 * A fixed-window counter in PostgreSQL, so that every api process shares it (no in-memory counters).
 * One upsert per limited request.
 */
export function rateLimit(
  db: Db,
  opts: {
    name: string;
    limit: number;
    windowSeconds: number;
    key?: (req: Parameters<RequestHandler>[0]) => string;
  },
): RequestHandler {
  return async (req, res, next) => {
    const who = opts.key?.(req) ?? req.ip ?? 'unknown';
    if (await overLimit(db, opts.name, who, opts)) return next(rateLimited(res, opts.windowSeconds));
    next();
  };
}
