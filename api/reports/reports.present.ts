import { stringify } from 'csv-stringify/sync';
import type { Report } from './reports.service.ts';

/** The CSV header: one row per figure, so the file reads in any spreadsheet and diffs line by line. */
export const csvColumns = ['metric', 'key', 'value'] as const;

/**
 * The report as tidy CSV rows `metric,key,value`, carrying the same figures as the JSON (derived works
 * are counted by kind; their titles stay in the JSON). A missing key (no purpose, no organisation) is
 * an empty cell.
 */
export function reportRows(r: Report): [string, string, string | number][] {
  const rows: [string, string, string | number][] = [
    ['period.from', '', r.period.from],
    ['period.to', '', r.period.to],
    ['downloads.total', '', r.downloads.total],
    ['downloads.anonymous', '', r.downloads.anonymous],
  ];
  for (const m of r.downloads.byMonth) rows.push(['downloads.month', m.month, m.count]);
  for (const p of r.downloads.byPurpose) rows.push(['downloads.purpose', p.purpose ?? '', p.count]);
  for (const o of r.downloads.byOrganisation)
    rows.push(['downloads.organisation', o.organisation ?? '', o.count]);
  for (const d of r.downloads.byDataset) rows.push(['downloads.dataset', d.dataset ?? '', d.count]);
  rows.push(['requests.total', '', r.requests.total]);
  for (const s of r.requests.byStatus) rows.push(['requests.status', s.status, s.count]);
  rows.push(['requests.decided', '', r.requests.decided]);
  rows.push(['requests.acceptance_rate', '', r.requests.acceptanceRate ?? '']);
  rows.push(['requests.median_decision_hours', '', r.requests.medianDecisionHours ?? '']);
  rows.push(['grants.total', '', r.grants.total]);
  for (const s of r.grants.byStatus) rows.push(['grants.status', s.status, s.count]);
  rows.push(['obligations.total', '', r.obligations.total]);
  for (const s of r.obligations.byStatus) rows.push(['obligations.status', s.status, s.count]);
  rows.push(['derived_works.total', '', r.derivedWorks.total]);
  for (const k of r.derivedWorks.byKind) rows.push(['derived_works.kind', k.kind, k.count]);
  return rows;
}

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`…) are escaped. */
export function reportCsv(r: Report): string {
  return stringify(reportRows(r), {
    header: true,
    columns: [...csvColumns],
    escape_formulas: true,
    record_delimiter: 'windows',
  });
}

/** `report-<community>[-<dataset>]-<from>-<to>.csv` */
export const csvFilename = (r: Report) =>
  `report-${r.community.slug}${r.dataset ? `-${r.dataset.slug}` : ''}-${r.period.from}-${r.period.to}.csv`;
