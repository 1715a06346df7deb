import { type SQL, sql } from 'drizzle-orm';
import { type Db, queryRows, tryXactLock } from '../../db/index.ts';
import { sequencerState, unintegratedSeqs } from '../audit/audit.repo.ts';

/** What a report covers: one community, optionally one of its datasets, in [start, end). */
export interface ReportScope {
  communityId: string;
  datasetId?: string;
  start: Date;
  end: Date;
}

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const datasetFilter = (column: SQL, s: ReportScope) =>
  s.datasetId ? sql`and ${column} = ${s.datasetId}::uuid` : sql``;

export interface DownloadRow {
  dim: 'month' | 'purpose' | 'organisation' | 'dataset' | 'anonymous';
  key: string | null;
  n: number;
}

const ROLLUP_LOCK = sql`hashtext('steward.report_rollup')`;

/**
 * The per-dimension rows (dim, key, day, dataset_id, n) of `base`, a relation of downloads grouped by
 * (community_id, day, dataset_id, purpose, organisation, anonymous, n): see db/schema/reports.ts.
 */
const DIMENSIONS = sql`cross join lateral (values ('dataset', ''), ('purpose', b.purpose),
    ('organisation', case when b.anonymous then null else b.organisation end),
    ('anonymous', case when b.anonymous then '' end)) x(dim, key)`;

/**
 * Rolls the `download.issued` events of the next `chunk` audit leaves into `download_counts` (per
 * dimension, per day and per month). Leaves are commit order without gaps (the sequencer's), so
 * `next_leaf` is an exact watermark: every event is counted once, by the rollup when its leaf is below
 * the watermark, else by the report's live tail. Skips (returns -1) when another process is rolling up.
 * Returns the leaves rolled up.
 */
export async function rollUp(db: Db, chunk = 250_000): Promise<number> {
  return db.transaction(async (tx) => {
    if (!(await tryXactLock(tx, ROLLUP_LOCK))) return -1;
    await tx.execute(
      sql`insert into report_rollup_state (id, next_leaf) values (1, 0) on conflict do nothing`,
    );
    const [{ w, upto }] = await queryRows<{ w: string; upto: string }>(
      tx,
      sql`select s.next_leaf as w, least(s.next_leaf + ${chunk}, coalesce((select max(leaf_index) + 1 from audit_leaves), 0)) as upto
        from report_rollup_state s where s.id = 1`,
    );
    if (Number(upto) <= Number(w)) return 0;
    await tx.execute(sql`with b as (
        select e.community_id, (e.at at time zone 'UTC')::date as day, e.dataset_id, coalesce(e.purpose, '') as purpose,
          coalesce(u.home_organization, '') as organisation, e.actor_id is null as anonymous, count(*) as n
        from audit_leaves l join audit_events e on e.seq = l.seq left join users u on u.id = e.actor_id
        where l.leaf_index >= ${w}::bigint and l.leaf_index < ${upto}::bigint
          and e.action = 'download.issued' and e.community_id is not null and e.dataset_id is not null
        group by 1, 2, 3, 4, 5, 6)
      insert into download_counts as r (community_id, monthly, day, dim, dataset_id, key, n)
      select b.community_id, g.monthly, case when g.monthly then date_trunc('month', b.day)::date else b.day end,
        x.dim, b.dataset_id, x.key, sum(b.n)
      from b cross join (values (false), (true)) g(monthly) ${DIMENSIONS}
      where x.key is not null
      group by 1, 2, 3, 4, 5, 6
      on conflict (community_id, monthly, day, dim, dataset_id, key) do update set n = r.n + excluded.n`);
    await tx.execute(sql`update report_rollup_state set next_leaf = ${upto}::bigint where id = 1`);
    return Number(upto) - Number(w);
  });
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The whole UTC calendar months inside [start, end) as [from, to) (first days of months), read from the
 * monthly rollups; the days before and after them are read from the daily ones. Empty (from = to = end)
 * when the period holds no whole month.
 */
export function wholeMonths(start: Date, end: Date): { from: Date; to: Date } {
  const first = new Date(
    Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + (start.getUTCDate() === 1 ? 0 : 1), 1),
  );
  const last = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), 1));
  return first < last ? { from: first, to: last } : { from: end, to: end };
}

/**
 * The period's downloads grouped by month (UTC), purpose, organisation, dataset, and the anonymous count,
 * in one statement: the monthly rollups for whole months, the daily ones for the days around them (both
 * below the watermark), plus the live tail (events in leaves at or above it, and events the sequencer has
 * not reached yet). Run it in one snapshot: the rollup moves the watermark and the counts together.
 */
export async function downloads(db: Db, s: ReportScope) {
  const { floor } = await sequencerState(db);
  return queryRows<DownloadRow>(db, downloadsSql(s, floor));
}

/** The statement of `downloads` (`floor`: the audit sequencer's, see `sequencerState`), for EXPLAIN in the benchmark. */
export function downloadsSql(s: ReportScope, floor: number): SQL {
  const months = wholeMonths(s.start, s.end);
  const [from, mFrom, mTo, end] = [s.start, months.from, months.to, s.end].map(isoDay);
  return sql`with w as (select coalesce((select next_leaf from report_rollup_state where id = 1), 0) as w),
    b as (
      select (e.at at time zone 'UTC')::date as day, coalesce(e.purpose, '') as purpose,
        coalesce(u.home_organization, '') as organisation, e.actor_id is null as anonymous, e.dataset_id, count(*) as n
      from audit_events e left join users u on u.id = e.actor_id
      where e.seq in (select l.seq from audit_leaves l, w where l.leaf_index >= w.w
                      union all ${unintegratedSeqs(floor)})
        and e.community_id = ${s.communityId}::uuid and e.action = 'download.issued' and e.dataset_id is not null
        and e.at >= ${ts(s.start)} and e.at < ${ts(s.end)} ${datasetFilter(sql`e.dataset_id`, s)}
      group by 1, 2, 3, 4, 5
    ),
    d as (
      select r.dim, r.key, r.day, r.dataset_id, r.n
      from download_counts r
      where r.community_id = ${s.communityId}::uuid ${datasetFilter(sql`r.dataset_id`, s)}
        and ((r.monthly and r.day >= ${mFrom}::date and r.day < ${mTo}::date)
          or (not r.monthly and ((r.day >= ${from}::date and r.day < ${mFrom}::date)
                                 or (r.day >= ${mTo}::date and r.day < ${end}::date))))
      union all
      select x.dim, x.key, b.day, b.dataset_id, b.n from b ${DIMENSIONS} where x.key is not null
    )
    select 'month' as dim, to_char(day, 'YYYY-MM') as key, sum(n)::int as n from d where dim = 'dataset' group by 2
    union all
    select 'purpose', nullif(key, ''), sum(n)::int from d where dim = 'purpose' group by key
    union all
    select 'organisation', nullif(key, ''), sum(n)::int from d where dim = 'organisation' group by key
    union all
    select 'dataset', ds.slug, sum(d.n)::int from d join datasets ds on ds.id = d.dataset_id where dim = 'dataset' group by ds.slug
    union all
    select 'anonymous', null, coalesce(sum(n), 0)::int from d where dim = 'anonymous'`;
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
  return queryRows<StatusRow>(
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
  return queryRows<StatusRow>(
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
  return queryRows<StatusRow>(
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
  return queryRows<DerivedWorkRow>(
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
  return queryRows<{ kind: string | null; n: number }>(
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
  return queryRows<ApprovedUseRow>(
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

/** For the rest of the transaction: JIT compiling the report's few aggregates cost more than running them (1.5 s of 4 s in the benchmark). */
export async function withoutJit(tx: Db) {
  await tx.execute(sql`set local jit = off`);
}
