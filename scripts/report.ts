/** `steward report --community SLUG [--dataset SLUG] [--format csv|json] [--from D --to D]`: a usage report. */
import { parseArgs } from 'node:util';
import { AppError } from '../api/errors.ts';
import { reportCsv } from '../api/reports/reports.present.ts';
import { parseReportQuery } from '../api/reports/reports.schema.ts';
import { buildReport, loadScope } from '../api/reports/reports.service.ts';
import type { Db } from '../db/index.ts';

export const reportUsage =
  'report --community SLUG [--dataset SLUG] [--format csv|json] [--from YYYY-MM-DD --to YYYY-MM-DD]';

type Parsed = { community: string; query: ReturnType<typeof parseReportQuery> };

function explain(err: unknown): number {
  if (err instanceof AppError) {
    console.error(`${err.code}: ${err.message}`);
    return 2;
  }
  if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
    console.error(`${err.message}\nusage: steward ${reportUsage}`);
    return 2;
  }
  throw err;
}

/** The arguments, checked before the database is opened; a number is the exit code of a refusal. */
export function parseReportArgs(args: string[]): Parsed | number {
  try {
    const { values } = parseArgs({
      args,
      options: {
        community: { type: 'string' },
        dataset: { type: 'string' },
        format: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
      },
    });
    if (!values.community) throw new AppError(400, 'usage', `usage: steward ${reportUsage}`);
    return { community: values.community, query: parseReportQuery(values, new Date()) };
  } catch (err) {
    return explain(err);
  }
}

/**
 * Prints the report to stdout (the operator holds the database, so no policy applies); returns the exit
 * code: 0, or 2 for an unknown community or dataset, with the reason on stderr.
 */
export async function reportCommand(db: Db, { community, query: q }: Parsed): Promise<number> {
  try {
    const scope = await loadScope(db, community, q.dataset);
    if (!scope) throw new AppError(404, 'community_not_found', `no community "${community}"`);
    const report = await buildReport(db, scope.community, scope.dataset, q.period);
    process.stdout.write(q.format === 'csv' ? reportCsv(report) : `${JSON.stringify(report, null, 2)}\n`);
    return 0;
  } catch (err) {
    return explain(err);
  }
}
