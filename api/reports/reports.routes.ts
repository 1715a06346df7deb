import { Router } from 'express';
import { CommunityParams } from '../communities/communities.schema.ts';
import { csvFilename, reportCsv } from './reports.present.ts';
import { parsePeriod, parseReportQuery } from './reports.schema.ts';
import { communityReport, transparency } from './reports.service.ts';

/** `/communities/:slug/…`: the usage report, the public transparency page. */
export function reportsRoutes(): Router {
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
  r.get('/transparency', async (req, res) => {
    const { slug } = CommunityParams.parse(req.params);
    res.setHeader('Cache-Control', 'no-cache');
    res.json(await transparency(req.ctx, slug, parsePeriod(req.query, req.ctx.now)));
  });
  return r;
}
