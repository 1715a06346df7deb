import type { RequestHandler } from 'express';
import type { Db } from '../../db/index.ts';
import { AppError } from '../errors.ts';
import { hit } from './rate-limit.repo.ts';

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
    const key = `${opts.name}:${who}`;
    const count = await hit(db, key, opts.windowSeconds);
    if (count > opts.limit) {
      res.setHeader('Retry-After', String(opts.windowSeconds));
      return next(new AppError(429, 'rate_limited', 'Too many requests; try again later.'));
    }
    next();
  };
}
