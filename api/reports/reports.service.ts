import type { Db } from '../../db/index.ts';
import { subjectOf } from '../../policies/subject.ts';
import * as communities from '../communities/communities.repo.ts';
import type { Ctx } from '../context.ts';
import * as datasets from '../datasets/datasets.repo.ts';
import { notFound } from '../errors.ts';
import * as repo from './reports.repo.ts';
import type { Period, ReportQuery } from './reports.schema.ts';

type Count<K extends string> = { [P in K]: string | null } & { count: number };

/** Every month (YYYY-MM, UTC) that the period touches, in order. */
export function monthsOf(p: Period): string[] {
  const out: string[] = [];
  const d = new Date(Date.UTC(p.start.getUTCFullYear(), p.start.getUTCMonth(), 1));
  while (d < p.end) {
    out.push(d.toISOString().slice(0, 7));
    d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return out;
}

const byCount = <T extends { count: number }>(a: T, b: T) => b.count - a.count;

function statusBlock(rows: repo.StatusRow[]) {
  const total = rows.find((r) => r.status === null)?.n ?? 0;
  const byStatus = rows
    .filter((r) => r.status !== null)
    .map((r) => ({ status: r.status as string, count: r.n }))
    .sort(byCount);
  return { total, byStatus };
}

/**
 * The usage report of a community (or one of its datasets) over a period, aggregated in SQL. Months are
 * UTC calendar months. No authorization here: callers are `communityReport` (the policy) and the CLI
 * (the operator, who holds the database).
 */
export async function buildReport(
  db: Db,
  community: communities.CommunityRow,
  dataset: { id: string; slug: string; title: string } | undefined,
  period: Period,
) {
  const scope: repo.ReportScope = {
    communityId: community.id,
    datasetId: dataset?.id,
    start: period.start,
    end: period.end,
  };
  // Bring the rollups up to date first (bounded work; the live tail counts whatever is left).
  await repo.rollUp(db);
  // One snapshot for every part: the counts agree with each other even while events are written.
  const [dl, rq, gr, ob, works, kinds] = await db.transaction(
    async (tx) => {
      await repo.withoutJit(tx);
      return Promise.all([
        repo.downloads(tx, scope),
        repo.requests(tx, scope),
        repo.grants(tx, scope),
        repo.obligations(tx, scope),
        repo.derivedWorks(tx, scope),
        repo.derivedWorksByKind(tx, scope),
      ]);
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
  const dim = <K extends string>(d: repo.DownloadRow['dim'], key: K) =>
    dl
      .filter((r) => r.dim === d)
      .map((r) => ({ [key]: r.key, count: r.n }) as Count<K>)
      .sort(byCount);
  const perMonth = new Map(dl.filter((r) => r.dim === 'month').map((r) => [r.key, r.n]));
  const byMonth = monthsOf(period).map((month) => ({ month, count: perMonth.get(month) ?? 0 }));
  const requests = statusBlock(rq);
  const approved = requests.byStatus.find((s) => s.status === 'approved')?.count ?? 0;
  const denied = requests.byStatus.find((s) => s.status === 'denied')?.count ?? 0;
  const median = rq.find((r) => r.status === null)?.medianSeconds;
  return {
    community: { slug: community.slug, name: community.name },
    dataset: dataset ? { slug: dataset.slug, title: dataset.title } : null,
    period: { from: period.from, to: period.to, timeZone: 'UTC' as const },
    downloads: {
      total: byMonth.reduce((n, m) => n + m.count, 0),
      anonymous: dl.find((r) => r.dim === 'anonymous')?.n ?? 0,
      byMonth,
      byPurpose: dim('purpose', 'purpose'),
      byOrganisation: dim('organisation', 'organisation'),
      byDataset: dim('dataset', 'dataset'),
    },
    requests: {
      ...requests,
      decided: approved + denied,
      acceptanceRate: approved + denied ? approved / (approved + denied) : null,
      medianDecisionHours: median === null || median === undefined ? null : Number(median) / 3600,
    },
    grants: statusBlock(gr),
    obligations: statusBlock(ob),
    derivedWorks: {
      total: kinds.find((k) => k.kind === null)?.n ?? 0,
      byKind: kinds
        .filter((k) => k.kind !== null)
        .map((k) => ({ kind: k.kind as string, count: k.n }))
        .sort(byCount),
      items: works,
    },
  };
}
export type Report = Awaited<ReturnType<typeof buildReport>>;

/** The community and, with `?dataset=`, one of its datasets; unknown community → undefined. */
export async function loadScope(db: Db, slug: string, datasetSlug: string | undefined) {
  const community = await communities.findBySlug(db, slug);
  if (!community) return undefined;
  return { community, dataset: await datasetOf(db, community, datasetSlug) };
}

/** With `?dataset=`, that dataset of the community; one of another community, or none, → 404. */
async function datasetOf(db: Db, community: { id: string }, datasetSlug: string | undefined) {
  if (!datasetSlug) return undefined;
  const d = await datasets.findBySlug(db, datasetSlug);
  if (!d || d.communityId !== community.id) throw notFound('dataset');
  return d;
}

type CommunityRow = NonNullable<Awaited<ReturnType<typeof communities.findBySlug>>>;

/** The community whose report (in the form `view` describes) the caller may read; else 404 `what`. */
async function readableReport(
  ctx: Ctx,
  slug: string,
  what: string,
  view: (c: CommunityRow) => { sharedWithMembers: boolean; public: boolean },
): Promise<CommunityRow> {
  const community = await communities.findBySlug(ctx.db, slug);
  if (
    !community ||
    !ctx.ability.can('read', subjectOf('Report', { communityId: community.id, ...view(community) }))
  )
    throw notFound(what);
  return community;
}

/**
 * A community's report for stewards and auditors, and members when the community shares it. The full
 * report is never the public one (`public: false`): the transparency page is. What the caller may not
 * read is 404, whether or not the community exists.
 */
export async function communityReport(ctx: Ctx, slug: string, q: ReportQuery) {
  const community = await readableReport(ctx, slug, 'report', (c) => ({
    sharedWithMembers: c.reportsSharedWithMembers,
    public: false,
  }));
  return buildReport(ctx.db, community, await datasetOf(ctx.db, community, q.dataset), q.period);
}

/**
 * The public transparency page, when the community opted in (its stewards and auditors, who read the full
 * report anyway, also preview it before): aggregates and approved uses (purpose,
 * organisation, dates). No names, e-mails, free-text purposes or per-organisation download counts.
 */
export async function transparency(ctx: Ctx, slug: string, period: Period) {
  const community = await readableReport(ctx, slug, 'transparency_page', (c) => ({
    sharedWithMembers: false,
    public: c.transparencyPublic,
  }));
  const report = await buildReport(ctx.db, community, undefined, period);
  const uses = await repo.approvedUses(ctx.db, {
    communityId: community.id,
    start: period.start,
    end: period.end,
  });
  return {
    community: report.community,
    /** false: the community has not opted in, and this is its stewards' or auditors' preview. */
    published: community.transparencyPublic,
    period: report.period,
    approvedUses: uses,
    requests: {
      total: report.requests.total,
      decided: report.requests.decided,
      acceptanceRate: report.requests.acceptanceRate,
      medianDecisionHours: report.requests.medianDecisionHours,
    },
    downloads: { total: report.downloads.total, byMonth: report.downloads.byMonth },
    derivedWorks: {
      total: report.derivedWorks.total,
      byKind: report.derivedWorks.byKind,
      items: report.derivedWorks.items,
    },
  };
}
