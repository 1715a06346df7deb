import { ForbiddenError } from '@casl/ability';
import { subjectOf } from '../../policies/subject.ts';
import { record } from '../audit/audit.ts';
import type { Ctx } from '../context.ts';
import { loadReadable } from '../datasets/datasets.service.ts';
import { AppError } from '../errors.ts';
import { loadGrant } from '../grants/grants.service.ts';
import { loadObligation, recordEvidence } from '../obligations/obligations.service.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import * as repo from './derived-works.repo.ts';
import type { RegisterDerivedWork } from './derived-works.schema.ts';

/**
 * `POST /grants/:id/derived-works` by a grantee: registers the work (`derived_work.registered`) and, when
 * `obligationId` names an open obligation of the grant, links the work to it as evidence
 * (`obligation.evidence_submitted`): a steward still verifies it (DOMAIN.md: it *can* fulfil the term).
 */
export async function registerDerivedWork(
  ctx: Ctx,
  store: ObjectStore,
  grantId: string,
  input: RegisterDerivedWork,
) {
  const out = await ctx.db.transaction(async (tx) => {
    const t = { ...ctx, db: tx };
    const g = await loadGrant(t, grantId, { lock: true });
    ForbiddenError.from(ctx.ability).throwUnlessCan('registerDerivedWork', subjectOf('Grant', g.subject));
    const o = input.obligationId ? await loadObligation(t, input.obligationId, { lock: true }) : undefined;
    if (o && o.row.obligation.grantId !== grantId)
      throw new AppError(422, 'obligation_not_in_grant', 'That obligation belongs to another grant.');
    if (o && !ctx.ability.can('submitEvidence', subjectOf('Obligation', o.subject)))
      throw new AppError(
        409,
        'obligation_state_conflict',
        `An obligation that is ${o.row.obligation.status} takes no more evidence.`,
      );
    const w = await repo.insertDerivedWork(tx, {
      grantId,
      datasetId: g.row.grant.datasetId,
      kind: input.kind,
      title: input.title,
      url: input.url ?? null,
      description: input.description,
      registeredBy: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
    });
    await record(tx, ctx, 'derived_work.registered', {
      subjectType: 'DerivedWork',
      subjectId: w.id,
      communityId: g.row.communityId,
      datasetId: g.row.grant.datasetId,
      purpose: g.row.grant.purposeCategory,
      details: {
        grantId,
        kind: w.kind,
        title: w.title,
        url: w.url,
        obligationId: input.obligationId ?? null,
      },
    });
    const stale = o ? (await recordEvidence(t, o, { derivedWorkId: w.id })).stale : [];
    return { w, stale };
  });
  // A file the work's evidence replaced (best effort, after the commit).
  await Promise.allSettled(out.stale.map((k) => store.delete(k)));
  return out.w;
}

/** `GET /datasets/:slug/derived-works`: public wherever the dataset is (DOMAIN.md: the lineage is shown). */
export async function listForDataset(ctx: Ctx, slug: string) {
  const d = await loadReadable(ctx, slug);
  return repo.listForDataset(ctx.db, d.id);
}

/** `GET /grants/:id/derived-works`: for whoever may read the grant. */
export async function listForGrant(ctx: Ctx, grantId: string) {
  await loadGrant(ctx, grantId);
  return repo.listForGrant(ctx.db, grantId);
}
