import { Router } from 'express';
import type { Db } from '../../db/index.ts';
import { CommunityParams } from '../communities/communities.schema.ts';
import { callerKey, rateLimit } from '../middleware/rate-limit.ts';
import { csvFilename, reportCsv } from './reports.present.ts';
import { parsePeriod, parseReportQuery } from './reports.schema.ts';
import { communityReport, transparency } from './reports.service.ts';

/**
 * The public transparency page builds its figures from the log on every request (no cache: a
 * community's opt-out must take effect at once), so anyone, signed in or not, is held to
 * `TRANSPARENCY_PER_MINUTE` of them a minute, counted per user or per IP in PostgreSQL.
 */
export const TRANSPARENCY_PER_MINUTE = 60;

/** `/communities/:slug/…`: the usage report, the public transparency page. */
export function reportsRoutes(db: Db): Router {
  const r = Router({ mergeParams: true });
  r.get('/report', async (req, res) => {
    const { slug } = CommunityParams.parse(req.params);
    const q = parseReportQuery(req.query, req.ctx.now);
    const report = await communityReport(req.ctx, slug, q);
    res.setHeader('Cache-Control', 'no-store');
    if (q.format === 'csv') {
      res.attachment(csvFilename(report)).type('text/csv; charset=utf-8').send(reportCsv(report));
      return;
    }
    res.json(report);
  });
  const limited = rateLimit(db, {
    name: 'transparency',
    limit: TRANSPARENCY_PER_MINUTE,
    windowSeconds: 60,
    key: callerKey,
  });
  r.get('/transparency', limited, async (req, res) => {
    const { slug } = CommunityParams.parse(req.params);
    res.setHeader('Cache-Control', 'no-cache');
    res.json(await transparency(req.ctx, slug, parsePeriod(req.query, req.ctx.now)));
  });
  return r;
}
