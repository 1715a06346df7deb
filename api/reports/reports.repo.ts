import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';

/** What a report covers: one community, optionally one of its datasets, in [start, end). */
export interface ReportScope {
  communityId: string;
  datasetId?: string;
  start: Date;
  end: Date;
}

/** postgres.js answers an array, PGlite `{ rows }`. */
const rowsOf = <T>(r: unknown): T[] => (Array.isArray(r) ? r : (r as { rows: T[] }).rows) as T[];
const all = async <T>(db: Db, q: SQL) => rowsOf<T>(await db.execute(q));

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const datasetFilter = (column: SQL, s: ReportScope) =>
  s.datasetId ? sql`and ${column} = ${s.datasetId}::uuid` : sql``;

export interface DownloadRow {
  dim: 'month' | 'purpose' | 'organisation' | 'dataset' | 'anonymous';
  key: string | null;
  n: number;
}

/**
 * The period's downloads (`download.issued` events) grouped by month (UTC), purpose, the downloading
 * user's home organisation, dataset, and the anonymous count, in one statement. The events are first
 * grouped by (month, purpose, actor, dataset) from the partial index `audit_events_downloads_report_idx`
 * alone; users and datasets are joined to those few groups, never to the million rows.
 */
export function downloads(db: Db, s: ReportScope) {
  // The action is a literal, not a parameter, so that the partial index's predicate matches in every plan.
  return all<DownloadRow>(
    db,
    sql`with d as (
      select date_trunc('month', e.at at time zone 'UTC') as m, e.purpose, e.actor_id, e.dataset_id, count(*)::int as n
      from audit_events e
      where e.community_id = ${s.communityId}::uuid and e.action = 'download.issued'
        and e.at >= ${ts(s.start)} and e.at < ${ts(s.end)} ${datasetFilter(sql`e.dataset_id`, s)}
      group by 1, 2, 3, 4
    )
    select 'month' as dim, to_char(m, 'YYYY-MM') as key, sum(n)::int as n from d group by m
    union all
    select 'purpose', purpose, sum(n)::int from d group by purpose
    union all
    select 'organisation', u.home_organization, sum(d.n)::int
      from d join users u on u.id = d.actor_id group by u.home_organization
    union all
    select 'dataset', ds.slug, sum(d.n)::int from d join datasets ds on ds.id = d.dataset_id group by ds.slug
    union all
    select 'anonymous', null, coalesce(sum(n), 0)::int from d where actor_id is null`,
  );
}

export interface StatusRow {
  /** null on the total row */
  status: string | null;
  n: number;
  medianSeconds: number | null;
}

/**
 * Access requests submitted in the period, by status, with the total; the median time from submission
 * to decision (approved or denied; `status_changed_at` is the decision's time) over the total.
 */
export function requests(db: Db, s: ReportScope) {
  return all<StatusRow>(
    db,
    sql`select r.status::text as status, count(*)::int as n,
        percentile_cont(0.5) within group (order by extract(epoch from r.status_changed_at - r.created_at))
          filter (where r.status in ('approved', 'denied')) as "medianSeconds"
      from access_requests r join datasets ds on ds.id = r.dataset_id
      where ds.community_id = ${s.communityId}::uuid
        and r.created_at >= ${ts(s.start)} and r.created_at < ${ts(s.end)} ${datasetFilter(sql`r.dataset_id`, s)}
      group by grouping sets ((r.status), ())`,
  );
}

/** Grants issued in the period by their state now (an active grant past its end counts as expired). */
export function grants(db: Db, s: ReportScope) {
  return all<StatusRow>(
    db,
    sql`select status, count(*)::int as n, null as "medianSeconds" from (
        select case when g.status = 'active' and g.expires_at <= now() then 'expired' else g.status::text end as status
        from grants g join datasets ds on ds.id = g.dataset_id
        where ds.community_id = ${s.communityId}::uuid
          and g.created_at >= ${ts(s.start)} and g.created_at < ${ts(s.end)} ${datasetFilter(sql`g.dataset_id`, s)}
      ) x group by grouping sets ((status), ())`,
  );
}

/** Obligations created in the period by their state now (pending past its due date counts as overdue). */
export function obligations(db: Db, s: ReportScope) {
  return all<StatusRow>(
    db,
    sql`select status, count(*)::int as n, null as "medianSeconds" from (
        select case when o.status = 'pending' and o.due_at < now() then 'overdue' else o.status::text end as status
        from obligations o join grants g on g.id = o.grant_id join datasets ds on ds.id = g.dataset_id
        where ds.community_id = ${s.communityId}::uuid
          and o.created_at >= ${ts(s.start)} and o.created_at < ${ts(s.end)} ${datasetFilter(sql`g.dataset_id`, s)}
      ) x group by grouping sets ((status), ())`,
  );
}

export interface DerivedWorkRow {
  title: string;
  kind: string;
  url: string | null;
  dataset: string;
  registeredAt: string;
}

/** Derived works registered in the period, newest first (at most `limit`). No person is named. */
export function derivedWorks(db: Db, s: ReportScope, limit = 500) {
  return all<DerivedWorkRow>(
    db,
    sql`select w.title, w.kind::text as kind, w.url, ds.slug as dataset,
        to_char(w.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "registeredAt"
      from derived_works w join datasets ds on ds.id = w.dataset_id
      where ds.community_id = ${s.communityId}::uuid
        and w.created_at >= ${ts(s.start)} and w.created_at < ${ts(s.end)} ${datasetFilter(sql`w.dataset_id`, s)}
      order by w.created_at desc limit ${limit}`,
  );
}

/** Derived works in the period by kind, with the total (null kind). */
export function derivedWorksByKind(db: Db, s: ReportScope) {
  return all<{ kind: string | null; n: number }>(
    db,
    sql`select w.kind::text as kind, count(*)::int as n
      from derived_works w join datasets ds on ds.id = w.dataset_id
      where ds.community_id = ${s.communityId}::uuid
        and w.created_at >= ${ts(s.start)} and w.created_at < ${ts(s.end)} ${datasetFilter(sql`w.dataset_id`, s)}
      group by grouping sets ((w.kind), ())`,
  );
}

export interface ApprovedUseRow {
  purpose: string | null;
  organisation: string | null;
  dataset: string;
  datasetTitle: string;
  startsAt: string;
  expiresAt: string;
  status: string;
}

/**
 * Uses the community approved (grants from an access request) that overlap the period: purpose category,
 * the requester's home organisation and the dates. Never the requester's name, e-mail or free-text purpose.
 */
export function approvedUses(db: Db, s: ReportScope, limit = 500) {
  const day = sql`'YYYY-MM-DD'`;
  return all<ApprovedUseRow>(
    db,
    sql`select coalesce(g.purpose_category, r.purpose_category) as purpose, u.home_organization as organisation,
        ds.slug as dataset, ds.title as "datasetTitle",
        to_char(g.starts_at at time zone 'UTC', ${day}) as "startsAt",
        to_char(g.expires_at at time zone 'UTC', ${day}) as "expiresAt",
        case when g.status = 'active' and g.expires_at <= now() then 'expired' else g.status::text end as status
      from grants g join access_requests r on r.id = g.request_id
        join users u on u.id = r.requester_id join datasets ds on ds.id = g.dataset_id
      where ds.community_id = ${s.communityId}::uuid and g.kind = 'request'
        and g.starts_at < ${ts(s.end)} and g.expires_at >= ${ts(s.start)}
      order by g.starts_at desc limit ${limit}`,
  );
}
