import { randomUUID } from 'node:crypto';
import { ForbiddenError } from '@casl/ability';
import type { Db } from '../../db/index.ts';
import { subjectOf } from '../../policies/subject.ts';
import { coveringGrant } from '../../policies/subjects/file.ts';
import { record, recordAlone } from '../audit/audit.ts';
import type { Ctx } from '../context.ts';
import { fileSubject, newFileSubject } from '../datasets/datasets.present.ts';
import { AppError, conflict, notFound, unprocessable } from '../errors.ts';
import { loadRelease, releaseImmutable } from '../releases/releases.service.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import * as repo from './files.repo.ts';
import type { RegisterFile } from './files.schema.ts';

/** Registers a file in a draft release and returns a signed PUT to upload its bytes. */
export async function registerFile(
  ctx: Ctx,
  store: ObjectStore,
  slug: string,
  tag: string,
  input: RegisterFile,
) {
  const out = await ctx.db.transaction(async (tx) => {
    const { d, r } = await loadRelease({ ...ctx, db: tx }, slug, tag);
    if (r.status !== 'draft') throw releaseImmutable();
    const id = randomUUID();
    const candidate = {
      id,
      releaseId: r.id,
      name: input.name,
      size: input.size,
      sha256: input.sha256,
      mediaType: input.mediaType,
      tier: input.tier ?? null,
      // Server-made: the name a person typed never becomes part of a path.
      storageKey: `datasets/${d.id}/releases/${r.id}/${id}`,
    };
    ForbiddenError.from(ctx.ability).throwUnlessCan(
      'create',
      subjectOf('File', newFileSubject(d, r, input.tier)),
    );
    const f = await repo.insert(tx, candidate);
    if (!f) throw conflict('file_exists', `Release "${r.tag}" already has a file named "${input.name}".`);
    await record(tx, ctx, 'file.registered', {
      subjectType: 'File',
      subjectId: f.id,
      communityId: d.communityId,
      datasetId: d.id,
      details: { name: f.name, size: f.size, sha256: f.sha256, release: r.tag },
    });
    return { d, r, f };
  });
  const upload = await store.signPut(out.f.storageKey, { contentType: out.f.mediaType, size: out.f.size });
  return { ...out, upload };
}

async function loadForSteward(ctx: Ctx, id: string, action: 'complete') {
  const found = await repo.findWithParents(ctx.db, id);
  if (!found || !ctx.ability.can('read', subjectOf('File', fileSubject(found.d, found.r, found.f))))
    throw notFound('file');
  if (found.r.status !== 'draft') throw releaseImmutable();
  ForbiddenError.from(ctx.ability).throwUnlessCan(
    action,
    subjectOf('File', fileSubject(found.d, found.r, found.f)),
  );
  return found;
}

/** A fresh signed PUT for a file whose upload has not been verified yet (retry after a failure). */
export async function renewUpload(ctx: Ctx, store: ObjectStore, id: string) {
  const { f } = await loadForSteward(ctx, id, 'complete');
  if (f.status === 'available')
    throw conflict('file_already_complete', 'This file is already uploaded and verified.');
  return store.signPut(f.storageKey, { contentType: f.mediaType, size: f.size });
}

/**
 * Verifies the stored object against the registered size and SHA-256 by reading it back from the store.
 * A mismatch marks the file `failed` (recorded, so the steward sees why) and answers 422; the file can
 * never be downloaded until an upload verifies.
 */
export async function completeFile(ctx: Ctx, store: ObjectStore, id: string) {
  const found = await loadForSteward(ctx, id, 'complete');
  const { d, f } = found;
  if (f.status === 'available') return found;
  const head = await store.head(f.storageKey);
  let failure: AppError | undefined;
  if (!head) failure = unprocessable('object_missing', 'Nothing was uploaded for this file yet.');
  else if (head.size !== f.size)
    failure = unprocessable(
      'size_mismatch',
      `The uploaded object has ${head.size} bytes; ${f.size} were registered.`,
      {
        expected: f.size,
        actual: head.size,
      },
    );
  else {
    const actual = await store.sha256(f.storageKey);
    if (actual !== f.sha256)
      failure = unprocessable(
        'checksum_mismatch',
        'The uploaded bytes do not match the registered SHA-256.',
        {
          expected: f.sha256,
          actual,
        },
      );
  }
  const updated = await ctx.db.transaction(async (tx) => {
    const row = await repo.update(
      tx,
      f.id,
      failure ? { status: 'failed' } : { status: 'available', completedAt: ctx.now },
    );
    await record(tx, ctx, failure ? 'file.verification_failed' : 'file.completed', {
      subjectType: 'File',
      subjectId: f.id,
      communityId: d.communityId,
      datasetId: d.id,
      details: failure ? { reason: failure.code } : { size: f.size, sha256: f.sha256 },
    });
    return row;
  });
  if (failure) throw failure;
  return { ...found, f: updated };
}

/**
 * The download gate: decide, record `download.issued`, and only then sign. The audit insert commits
 * before the URL exists, so no signed URL is ever handed out without its record.
 */
export async function issueDownload(ctx: Ctx, store: ObjectStore, id: string) {
  return issueDownloadOf(ctx, store, await repo.findForDownload(ctx.db, id));
}

/** The bearer-token download's one read: the token's principal and the file (either may be missing). */
export const readForTokenDownload = (db: Db, tokenHash: string, id: string) =>
  repo.findForTokenDownload(db, tokenHash, id);

/** `issueDownload` for a file row already read (with the caller's token, in one round trip). */
export async function issueDownloadOf(ctx: Ctx, store: ObjectStore, f: repo.DownloadRow | undefined) {
  if (!f) throw notFound('file');
  const s = subjectOf('File', {
    id: f.id,
    communityId: f.communityId,
    datasetId: f.datasetId,
    releaseId: f.releaseId,
    tier: f.tier,
    datasetTier: f.datasetTier,
    status: f.status,
    releaseStatus: f.releaseStatus,
    datasetStatus: f.datasetStatus,
  });
  if (!ctx.ability.can('read', s)) throw notFound('file');
  if (!ctx.ability.can('download', s)) {
    if (f.status !== 'available')
      throw conflict('file_not_available', 'This file has not been uploaded and verified yet.');
    if (ctx.actor.kind === 'anonymous')
      throw new AppError(401, 'unauthenticated', 'Sign in to download this file.');
    throw new AppError(
      403,
      'download_forbidden',
      `Downloading this ${f.tier} file needs access you do not have.`,
      {
        tier: f.tier,
      },
    );
  }
  // The grant the download happens under gives the record its purpose (reports group by it).
  const grant = f.tier === 'open' ? undefined : coveringGrant(ctx.actor, f);
  await recordAlone(ctx.db, ctx, 'download.issued', {
    subjectType: 'File',
    subjectId: f.id,
    communityId: f.communityId,
    datasetId: f.datasetId,
    purpose: grant?.purpose ?? null,
    details: {
      release: f.releaseId,
      size: f.size,
      sha256: f.sha256,
      tier: f.tier,
      ...(grant ? { grant: grant.id } : {}),
    },
  });
  const signed = await store.signGet(f.storageKey, { filename: f.name, contentType: f.mediaType });
  return {
    url: signed.url,
    expiresAt: signed.expiresAt,
    sha256: f.sha256,
    size: f.size,
    name: f.name,
    signals: {
      trainAi: f.trainAi,
      tier: f.tier,
      datasetSlug: f.datasetSlug,
      licenceVersion: f.licenceVersion,
    },
  };
}
