import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { grantees, grants, licenceVersions, obligations } from '../../db/schema/index.ts';
import type { GrantRef } from '../../policies/index.ts';

/**
 * The grants in force for a user, as a JSON array, for the principal queries: active, started, not
 * expired (`now()` in SQL, so an expired grant stops downloads at its end time without any job), under a
 * licence version not withdrawn, and with no obligation overdue (marked so, or pending past its due date).
 */
export function grantsInForce(userId: AnyPgColumn | SQL): SQL<GrantRef[]> {
  return sql<GrantRef[]>`coalesce((
    select json_agg(json_build_object('id', g.id, 'datasetId', g.dataset_id, 'scope', g.scope_type, 'scopeIds', g.scope_ids, 'purpose', g.purpose_category))
    from ${grants} g
    join ${grantees} ge on ge.grant_id = g.id
    join ${licenceVersions} lv on lv.id = g.licence_version_id
    where ge.user_id = ${userId}
      and g.status = 'active' and g.starts_at <= now() and g.expires_at > now()
      and lv.status = 'published'
      and not exists (
        select 1 from ${obligations} o
        where o.grant_id = g.id and (o.status = 'overdue' or (o.status = 'pending' and o.due_at < now()))
      )
  ), '[]'::json)`;
}
