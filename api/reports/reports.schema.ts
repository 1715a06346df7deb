import { z } from 'zod';
import { Slug } from '../common.schema.ts';
import { badRequest } from '../errors.ts';

/** The longest period a report covers (its month list and SQL stay small). */
export const MAX_PERIOD_DAYS = 3660;

/** Days a report may name: wide enough for any record, inside what PostgreSQL and ISO strings both take. */
const IsoDate = z.iso
  .date()
  .refine((d) => d >= '1970-01-01' && d <= '9998-12-31', 'between 1970-01-01 and 9998-12-31');

/** A report's period: whole UTC days, `from` and `to` both included. */
export interface Period {
  /** YYYY-MM-DD */
  from: string;
  /** YYYY-MM-DD, included */
  to: string;
  /** UTC midnight of `from` */
  start: Date;
  /** UTC midnight after `to` (exclusive bound) */
  end: Date;
}

export interface ReportQuery {
  period: Period;
  format: 'json' | 'csv';
  dataset?: string;
}

const day = 86_400_000;
const iso = (d: Date) => d.toISOString().slice(0, 10);

function parseDate(name: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  const r = IsoDate.safeParse(value);
  if (!r.success)
    throw badRequest(
      'invalid_date',
      `${name} must be a date, YYYY-MM-DD, between 1970-01-01 and 9998-12-31 (got "${String(value)}").`,
    );
  return r.data;
}

/**
 * The period from `from` / `to` (YYYY-MM-DD, UTC, both included). Without them: the last twelve whole
 * calendar months up to and including `now`'s month (to = today).
 */
export function parsePeriod(q: { from?: unknown; to?: unknown }, now: Date): Period {
  const to = parseDate('to', q.to) ?? iso(now);
  const toDate = new Date(`${to}T00:00:00Z`);
  const from =
    parseDate('from', q.from) ??
    iso(new Date(Date.UTC(toDate.getUTCFullYear(), toDate.getUTCMonth() - 11, 1)));
  const start = new Date(`${from}T00:00:00Z`);
  const end = new Date(toDate.getTime() + day);
  if (start > toDate) throw badRequest('invalid_period', `from (${from}) is after to (${to}).`);
  if ((end.getTime() - start.getTime()) / day > MAX_PERIOD_DAYS)
    throw badRequest('invalid_period', `A report covers at most ${MAX_PERIOD_DAYS} days.`);
  return { from, to, start, end };
}

const Format = z.enum(['json', 'csv']);
const Query = z.object({ dataset: Slug.optional() });

/** `?from=&to=&format=json|csv&dataset=` with stable codes: invalid_date, invalid_period, unsupported_format. */
export function parseReportQuery(q: Record<string, unknown>, now: Date): ReportQuery {
  const format = Format.safeParse(q.format ?? 'json');
  if (!format.success)
    throw badRequest('unsupported_format', `format is json or csv (got "${String(q.format)}").`);
  const { dataset } = Query.parse({ dataset: q.dataset || undefined });
  return { period: parsePeriod(q, now), format: format.data, dataset };
}

/** For OpenAPI: the query parameters, documented (parsing is parseReportQuery's). */
export const ReportQueryDoc = z.object({
  from: IsoDate.optional().describe(
    'first day, YYYY-MM-DD (UTC); default: the 1st of the month 11 months before `to`',
  ),
  to: IsoDate.optional().describe('last day included, YYYY-MM-DD (UTC); default: today'),
  format: Format.default('json'),
  dataset: Slug.optional().describe("one of the community's datasets"),
});
export const TransparencyQueryDoc = ReportQueryDoc.pick({ from: true, to: true });
