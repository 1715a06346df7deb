import { randomUUID } from 'node:crypto';
import { ForbiddenError } from '@casl/ability';
import type { Db } from '../../db/index.ts';
import { subjectOf } from '../../policies/subject.ts';
import { coveringGrant } from '../../policies/subjects/file.ts';
import { record, recordAlone } from '../audit/audit.ts';
import type { Ctx } from '../context.ts';
import { fileSubject, newFileSubject } from '../datasets/datasets.present.ts';
import { AppError, badRequest, conflict, notFound, unprocessable } from '../errors.ts';
import type { CountedHit } from '../middleware/rate-limit.repo.ts';
import { loadRelease, releaseImmutable } from '../releases/releases.service.ts';
import type { ObjectStore, SignedRequest } from '../storage/object-store.ts';
import * as repo from './files.repo.ts';
import { type CompleteFile, MAX_PARTS, type RegisterFile } from './files.schema.ts';

/** Registers a file in a draft release and returns a signed PUT to upload its bytes. */
export async function registerFile(
  ctx: Ctx,
  store: ObjectStore,
  settings: UploadSettings,
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
  const upload = await uploadFor(store, settings, out.f, ctx.db);
  return { ...out, upload };
}

/** How uploads are cut: above `multipartThreshold` bytes a file goes up in parts of (at least) `partSize`. */
export interface UploadSettings {
  multipartThreshold: number;
  partSize: number;
}

/** What a client is told to do with its bytes: one signed PUT, or one signed PUT per part. */
export type UploadInstructions =
  | SignedRequest
  | {
      method: 'multipart';
      partSize: number;
      parts: { partNumber: number; url: string }[];
      expiresAt: Date;
    };

const MiB = 1024 ** 2;

/** The part size of a file: the configured one, grown (in whole MiB) so that no file needs over 10,000 parts. */
export const partSizeFor = (size: number, settings: UploadSettings) =>
  Math.max(settings.partSize, Math.ceil(Math.ceil(size / MAX_PARTS) / MiB) * MiB);

/** How many parts a file of `size` bytes is cut into. */
export const partCountFor = (size: number, settings: UploadSettings) =>
  Math.max(1, Math.ceil(size / partSizeFor(size, settings)));

/**
 * The upload of a file not yet verified: a signed PUT, or — for a large file, or one whose multipart
 * upload is already open — signed part URLs, opening the multipart upload if none is.
 */
async function uploadFor(
  store: ObjectStore,
  settings: UploadSettings,
  f: repo.FileRow,
  db?: Db,
): Promise<UploadInstructions> {
  if (!f.uploadId && f.size <= settings.multipartThreshold)
    return store.signPut(f.storageKey, { contentType: f.mediaType, size: f.size });
  let uploadId = f.uploadId;
  if (!uploadId) {
    const opened = await store.createMultipart(f.storageKey, { contentType: f.mediaType });
    const row = db ? await repo.claimUploadId(db, f.id, opened) : undefined;
    uploadId = row?.uploadId ?? opened;
    // Another request opened one first: use theirs, so that parts already sent to it count.
    if (uploadId !== opened) await store.abortMultipart(f.storageKey, opened).catch(() => {});
  }
  const count = partCountFor(f.size, settings);
  const parts = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const signed = await store.signPart(f.storageKey, uploadId, i + 1);
      return { partNumber: i + 1, url: signed.url, expiresAt: signed.expiresAt };
    }),
  );
  return {
    method: 'multipart',
    partSize: partSizeFor(f.size, settings),
    parts: parts.map(({ partNumber, url }) => ({ partNumber, url })),
    expiresAt: parts[0].expiresAt,
  };
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

/**
 * Fresh signed URLs for a file whose upload has not been verified yet (expired URLs, or a retry after a
 * failure): a signed PUT, or every part's URL again — in the same multipart upload while it is open, so
 * parts already sent need not be sent again.
 */
export async function renewUpload(ctx: Ctx, store: ObjectStore, settings: UploadSettings, id: string) {
  const { f } = await loadForSteward(ctx, id, 'complete');
  if (f.status === 'available')
    throw conflict('file_already_complete', 'This file is already uploaded and verified.');
  return uploadFor(store, settings, f, ctx.db);
}

/**
 * Assembles a multipart upload from the parts the client names; a failure to answer with (422), never a
 * 500: which parts were sent is the client's doing.
 */
async function assembleParts(
  store: ObjectStore,
  settings: UploadSettings,
  f: repo.FileRow & { uploadId: string },
  parts: { partNumber: number; etag: string }[] | undefined,
): Promise<AppError | undefined> {
  if (!parts)
    throw badRequest(
      'parts_required',
      'This file uploads in parts: send { parts: [{ partNumber, etag }] } with the ETag of each part.',
    );
  const expected = partCountFor(f.size, settings);
  const numbers = new Set(parts.map((p) => p.partNumber));
  if (numbers.size !== parts.length)
    throw badRequest('duplicate_part', 'Each part number may be named once.');
  const missing = Array.from({ length: expected }, (_, i) => i + 1).filter((n) => !numbers.has(n));
  const unexpected = [...numbers].filter((n) => n > expected);
  if (missing.length || unexpected.length)
    return unprocessable(
      'parts_missing',
      `This file has ${expected} parts; ${missing.length ? `missing: ${missing.slice(0, 20).join(', ')}` : `unexpected: ${unexpected.slice(0, 20).join(', ')}`}.`,
      { expected, missing: missing.slice(0, 100), unexpected: unexpected.slice(0, 100) },
    );
  try {
    await store.completeMultipart(f.storageKey, f.uploadId, parts);
    return undefined;
  } catch (err) {
    // S3 answers InvalidPart / InvalidPartOrder / EntityTooSmall / NoSuchUpload; some compatible servers
    // fail less politely on a part never sent. Either way the parts named do not make the file.
    const name = (err as Error).name;
    return unprocessable('multipart_incomplete', 'The object store could not assemble the parts named.', {
      reason: name && name !== 'Error' ? name : 'assembly_failed',
    });
  }
}

/**
 * Verifies the stored object against the registered size and SHA-256 by reading it back from the store.
 * A mismatch marks the file `failed` (recorded, so the steward sees why) and answers 422; the file can
 * never be downloaded until an upload verifies.
 */
export async function completeFile(
  ctx: Ctx,
  store: ObjectStore,
  settings: UploadSettings,
  id: string,
  input: CompleteFile = {},
) {
  const found = await loadForSteward(ctx, id, 'complete');
  const { d, f } = found;
  if (f.status === 'available') return found;
  let failure: AppError | undefined;
  if (f.uploadId) failure = await assembleParts(store, settings, { ...f, uploadId: f.uploadId }, input.parts);
  else if (input.parts)
    throw badRequest('not_multipart', 'This file uploads in one signed PUT; complete it without parts.');
  const head = failure ? null : await store.head(f.storageKey);
  if (failure) {
    // already decided
  } else if (!head) failure = unprocessable('object_missing', 'Nothing was uploaded for this file yet.');
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
  let aborted: boolean | undefined;
  if (failure && f.uploadId) {
    // Its parts are of no further use (a retry opens a new upload); without an abort S3 keeps and bills
    // them. Best effort: after a successful assembly the upload no longer exists, and the record says so.
    aborted = await store.abortMultipart(f.storageKey, f.uploadId).then(
      () => true,
      () => false,
    );
  }
  const updated = await ctx.db.transaction(async (tx) => {
    const row = await repo.update(
      tx,
      f.id,
      failure
        ? { status: 'failed', uploadId: null }
        : { status: 'available', completedAt: ctx.now, uploadId: null },
    );
    await record(tx, ctx, failure ? 'file.verification_failed' : 'file.completed', {
      subjectType: 'File',
      subjectId: f.id,
      communityId: d.communityId,
      datasetId: d.id,
      details: failure
        ? { reason: failure.code, ...(aborted === undefined ? {} : { multipartAborted: aborted }) }
        : { size: f.size, sha256: f.sha256, ...(f.uploadId ? { multipart: true } : {}) },
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
/** The download's one read: the file (if any), counting the download against the caller's limit. */
export const readForDownload = (db: Db, id: string, hit: CountedHit) => repo.findForDownload(db, id, hit);

/**
 * The bearer-token download's one read: the token's principal and the file (either may be missing),
 * counting the download against the caller's limit.
 */
export const readForTokenDownload = (db: Db, tokenHash: string, id: string, hit: CountedHit) =>
  repo.findForTokenDownload(db, tokenHash, id, hit);

/** Decides and issues a download of a file row already read (`readForDownload` / `readForTokenDownload`). */
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
