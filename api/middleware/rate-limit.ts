import { sql } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import type { Db } from '../../db/index.ts';
import { rateLimits } from '../../db/schema/index.ts';
import { AppError } from '../errors.ts';

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
    const window = opts.windowSeconds;
    const [row] = await db
      .insert(rateLimits)
      .values({ key, windowStart: sql`now()`, count: 1 })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          count: sql`case when ${rateLimits.windowStart} < now() - make_interval(secs => ${window}) then 1 else ${rateLimits.count} + 1 end`,
          windowStart: sql`case when ${rateLimits.windowStart} < now() - make_interval(secs => ${window}) then now() else ${rateLimits.windowStart} end`,
        },
      })
      .returning({ count: rateLimits.count });
    if (row.count > opts.limit) {
      res.setHeader('Retry-After', String(window));
      return next(new AppError(429, 'rate_limited', 'Too many requests; try again later.'));
    }
    next();
  };
}
