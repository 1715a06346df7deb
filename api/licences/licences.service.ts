import { ForbiddenError } from '@casl/ability';
import { accessibleWhere } from '../../policies/sql.ts';
import { subjectOf } from '../../policies/subject.ts';
import { record } from '../audit/audit.ts';
import type { Ctx } from '../context.ts';
import { loadReadable } from '../datasets/datasets.service.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { licenceSubject } from './licences.present.ts';
import * as repo from './licences.repo.ts';
import type { CreateLicence } from './licences.schema.ts';

/** Loads a licence version the caller may read, with its dataset; 404 otherwise. */
export async function loadLicence(ctx: Ctx, slug: string, version: number) {
  const d = await loadReadable(ctx, slug);
  const l = await repo.findVersion(ctx.db, d.id, version);
  if (!l || !ctx.ability.can('read', subjectOf('LicenceVersion', licenceSubject(d, l))))
    throw notFound('licence');
  return { d, l };
}

/** The versions of a dataset's licence the caller may read, newest first. */
export async function listLicences(ctx: Ctx, slug: string) {
  const d = await loadReadable(ctx, slug);
  const visible = accessibleWhere(ctx.ability, 'read', 'LicenceVersion', repo.licenceColumns);
  return { d, rows: await repo.listVersions(ctx.db, d.id, visible) };
}

/**
 * Publishes a new licence version of a dataset (versions are never edited: a change is a new
 * version). Stewards of the dataset's community only; a reader who is not one gets 403, anyone who
 * cannot see the dataset 404.
 */
export async function createLicence(ctx: Ctx, slug: string, input: CreateLicence) {
  return ctx.db.transaction(async (tx) => {
    const d = await loadReadable({ ...ctx, db: tx }, slug);
    ForbiddenError.from(ctx.ability).throwUnlessCan('create', subjectOf('LicenceVersion', licenceSubject(d)));
    // A restricted dataset is decided by a committee (DOMAIN.md): never automatically.
    if (input.autoApprove && (d.tier === 'restricted' || d.tier === 'closed'))
      throw badRequest(
        'auto_approve_not_allowed',
        `Auto-approval is not allowed for a ${d.tier} dataset: its requests need a human decision.`,
      );
    const l = await repo.insertNext(tx, d.id, {
      ...input,
      createdBy: ctx.actor.kind === 'user' ? ctx.actor.userId : null,
    });
    await record(tx, ctx, 'licence.published', {
      subjectType: 'LicenceVersion',
      subjectId: l.id,
      communityId: d.communityId,
      datasetId: d.id,
      details: {
        version: l.version,
        base: l.base || null,
        purposes: l.purposes,
        duo: l.duo,
        prohibitions: l.prohibitions,
        reciprocity: l.reciprocity.map((t) => t.kind),
        decision: l.decision.rule,
        autoApprove: l.autoApprove,
      },
    });
    return { d, l };
  });
}

/** Withdraws a version: grants under it stop (the policy checks the version is not withdrawn). */
export async function withdrawLicence(ctx: Ctx, slug: string, version: number) {
  return ctx.db.transaction(async (tx) => {
    const { d, l } = await loadLicence({ ...ctx, db: tx }, slug, version);
    if (l.status === 'withdrawn')
      throw conflict('licence_withdrawn', 'This licence version is already withdrawn.');
    ForbiddenError.from(ctx.ability).throwUnlessCan(
      'withdraw',
      subjectOf('LicenceVersion', licenceSubject(d, l)),
    );
    const row = await repo.withdraw(tx, l.id);
    if (!row) throw conflict('licence_withdrawn', 'This licence version is already withdrawn.');
    await record(tx, ctx, 'licence.withdrawn', {
      subjectType: 'LicenceVersion',
      subjectId: l.id,
      communityId: d.communityId,
      datasetId: d.id,
      details: { version: l.version },
    });
    return { d, l: row };
  });
}
