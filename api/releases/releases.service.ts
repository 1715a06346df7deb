import { ForbiddenError } from '@casl/ability';
import { accessibleWhere } from '../../policies/sql.ts';
import { subjectOf } from '../../policies/subject.ts';
import { record } from '../audit/audit.ts';
import type { Ctx } from '../context.ts';
import { draftReleaseSubject, releaseSubject } from '../datasets/datasets.present.ts';
import { loadReadable } from '../datasets/datasets.service.ts';
import { conflict, notFound } from '../errors.ts';
import { fileColumns, listForReleases } from '../files/files.repo.ts';
import * as repo from './releases.repo.ts';
import type { CreateRelease } from './releases.schema.ts';

/** A published release never changes. */
export const releaseImmutable = () =>
  conflict('release_immutable', 'This release is published and cannot change.');

/** Loads a release the caller may read (404 otherwise), with its dataset. */
export async function loadRelease(ctx: Ctx, slug: string, tag: string) {
  const d = await loadReadable(ctx, slug);
  const r = await repo.findByTag(ctx.db, d.id, tag);
  if (!r || !ctx.ability.can('read', subjectOf('Release', releaseSubject(d, r)))) throw notFound('release');
  return { d, r };
}

/** The File read rule in SQL: every list of files goes through it. */
const visibleFiles = (ctx: Ctx) => accessibleWhere(ctx.ability, 'read', 'File', fileColumns);

/** A release with the files the caller may see. */
export async function getRelease(ctx: Ctx, slug: string, tag: string) {
  const { d, r } = await loadRelease(ctx, slug, tag);
  return { d, r, files: await listForReleases(ctx.db, [r.id], visibleFiles(ctx)) };
}

export async function createRelease(ctx: Ctx, slug: string, input: CreateRelease) {
  return ctx.db.transaction(async (tx) => {
    const c = { ...ctx, db: tx };
    const d = await loadReadable(c, slug);
    ForbiddenError.from(ctx.ability).throwUnlessCan('create', subjectOf('Release', draftReleaseSubject(d)));
    const r = await repo.insert(tx, { datasetId: d.id, tag: input.tag, notes: input.notes });
    if (!r) throw conflict('release_exists', `Release "${input.tag}" already exists.`);
    await record(tx, ctx, 'release.created', {
      subjectType: 'Release',
      subjectId: r.id,
      communityId: d.communityId,
      datasetId: d.id,
      details: { tag: r.tag },
    });
    return { d, r };
  });
}

/** Publishing makes a release immutable; it needs at least one file and every file verified. */
export async function publishRelease(ctx: Ctx, slug: string, tag: string) {
  return ctx.db.transaction(async (tx) => {
    const c = { ...ctx, db: tx };
    const { d, r } = await loadRelease(c, slug, tag);
    if (r.status === 'published') throw releaseImmutable();
    ForbiddenError.from(ctx.ability).throwUnlessCan('publish', subjectOf('Release', releaseSubject(d, r)));
    const counts = await repo.fileCounts(tx, r.id);
    if (counts.total === 0) throw conflict('release_empty', 'Add at least one file before publishing.');
    if (counts.available !== counts.total) {
      throw conflict('release_incomplete', 'Every file must be uploaded and verified before publishing.');
    }
    const published = await repo.publish(tx, r.id);
    if (!published) throw releaseImmutable();
    await record(tx, ctx, 'release.published', {
      subjectType: 'Release',
      subjectId: r.id,
      communityId: d.communityId,
      datasetId: d.id,
      details: { tag: r.tag, files: counts.total },
    });
    return { d, r: published, files: await listForReleases(tx, [r.id], visibleFiles(ctx)) };
  });
}
