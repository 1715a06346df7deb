import { createHash, randomUUID } from 'node:crypto';
import { ForbiddenError } from '@casl/ability';
import { derivedKindFor } from '../../policies/derived-works.ts';
import type { Action } from '../../policies/index.ts';
import { subjectOf } from '../../policies/subject.ts';
import { record } from '../audit/audit.ts';
import type { Ctx } from '../context.ts';
import { AppError, conflict, notFound } from '../errors.ts';
import * as grantsRepo from '../grants/grants.repo.ts';
import { grantSubject, loadGrant } from '../grants/grants.service.ts';
import * as licencesRepo from '../licences/licences.repo.ts';
import type { ObjectStore, SignedRequest } from '../storage/object-store.ts';
import { obligationSubject, shownStatus } from './obligations.present.ts';
import * as repo from './obligations.repo.ts';
import {
  MAX_EVIDENCE_FILE,
  type ObligationReason,
  type SubmitEvidence,
  type VerifyObligation,
} from './obligations.schema.ts';

type Evidence = NonNullable<repo.ObligationRow['evidence']>;

/** The store objects an evidence names (none, or its file). */
const objectsOf = (e: Evidence | null | undefined) => (e?.fileKey ? [e.fileKey] : []);

/**
 * Deletes objects no evidence names any more (a replaced or sent-back file, an upload once sealed),
 * after the commit that dropped them, so that a rollback never leaves evidence without its file. Best
 * effort: a failure leaves an unreferenced object behind, never a wrong answer.
 */
async function dropObjects(store: ObjectStore | undefined, keys: string[]) {
  if (!store) return;
  await Promise.allSettled(keys.map((k) => store.delete(k)));
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * What the audit log keeps of an evidence link: its SHA-256 (to match a link shown later against the
 * record) and its host (where the evidence lives: a model hub, a journal, a drive), never the URL
 * itself — a share link's path and query are often its secret, and the log is append-only.
 */
function linkForAudit(link: string | null | undefined) {
  if (!link) return null;
  let host: string | null = null;
  try {
    host = new URL(link).host;
  } catch {}
  return { sha256: sha256(link), host };
}

/** The kinds of evidence given, in the log's words. */
const kindsGiven = (e: Evidence) =>
  [
    e.link ? 'link' : null,
    e.text ? 'text' : null,
    e.fileKey ? 'file' : null,
    e.derivedWorkId ? 'derived_work' : null,
  ].filter((k): k is string => k !== null);

const tooLarge = () =>
  new AppError(
    422,
    'evidence_file_too_large',
    `The evidence file is larger than ${MAX_EVIDENCE_FILE / 1e6} MB: it was deleted; submit the evidence again.`,
  );

/** `GET /grants/:id/obligations`: the grant's obligations, for whoever may read the grant. */
export async function listForGrant(ctx: Ctx, grantId: string) {
  const g = await loadGrant(ctx, grantId);
  return { subject: g.subject, obligations: g.obligations };
}

/**
 * Loads an obligation the caller may read (grantee or steward of the dataset's community), with the
 * grant's subject seen by the caller; 404 otherwise (an obligation names a grant, which is private).
 */
export async function loadObligation(ctx: Ctx, id: string, opts: { lock?: boolean } = {}) {
  const row = await repo.findObligation(ctx.db, id, opts);
  if (!row) throw notFound('obligation');
  const people = await grantsRepo.granteesOf(ctx.db, [row.obligation.grantId]);
  const grant = grantSubject(
    ctx,
    {
      grant: { id: row.obligation.grantId, datasetId: row.datasetId, status: row.grantStatus },
      communityId: row.communityId,
    },
    people.map((p) => p.id),
  );
  const subject = obligationSubject(row.obligation, grant);
  if (!ctx.ability.can('read', subjectOf('Obligation', subject))) throw notFound('obligation');
  return { row, grant, subject };
}
export type LoadedObligation = Awaited<ReturnType<typeof loadObligation>>;

/**
 * The policy's check for an act on an obligation: a caller who may take the act in some state but not
 * in this one learns why (409); anyone else is refused (403).
 */
function authorize(ctx: Ctx, o: LoadedObligation, action: Action, verb: string) {
  const s = subjectOf('Obligation', o.subject);
  if (ctx.ability.can(action, s)) return;
  const anyState = (['pending', 'overdue', 'fulfilled', 'waived'] as const).some((status) =>
    ctx.ability.can(action, subjectOf('Obligation', { ...o.subject, status })),
  );
  if (anyState)
    throw conflict(
      'obligation_state_conflict',
      `An obligation that is ${o.row.obligation.status} cannot be ${verb}.`,
    );
  ForbiddenError.from(ctx.ability).throwUnlessCan(action, s);
}

const target = (o: LoadedObligation) => ({
  subjectType: 'Obligation',
  subjectId: o.row.obligation.id,
  communityId: o.row.communityId,
  datasetId: o.row.datasetId,
  purpose: o.row.purpose,
});

/**
 * Records a grantee's evidence on an open obligation (inside the caller's transaction `tx`). The
 * obligation stays pending (or overdue) until a steward verifies it: evidence alone restores no download.
 * The evidence must be of the kind the term asks for: a link term takes a link or a derived work, a text
 * term a text, a file term a file. A derived work must be registered under the same grant, and of the
 * shared kind. A file gets a server-made storage key and a signed PUT (`upload`) the grantee sends its
 * bytes to; it is checked in the store when a steward verifies.
 */
export async function recordEvidence(
  tx: Ctx,
  o: LoadedObligation,
  input: SubmitEvidence,
  store?: ObjectStore,
): Promise<{ row: repo.ObligationRow; upload?: SignedRequest; stale: string[] }> {
  const ob = o.row.obligation;
  let link = input.link;
  if (input.derivedWorkId) {
    const w = await repo.findDerivedWork(tx.db, input.derivedWorkId);
    if (!w || w.grantId !== ob.grantId)
      throw new AppError(
        422,
        'derived_work_not_in_grant',
        'That derived work is not registered under this grant.',
      );
    const wanted = derivedKindFor[ob.kind];
    if (wanted && w.kind !== wanted)
      throw new AppError(
        422,
        'derived_work_kind_mismatch',
        `A "${ob.kind}" obligation is met by a derived work of kind "${wanted}", not "${w.kind}".`,
      );
    link ??= w.url ?? undefined;
  }
  if (ob.evidenceKind === 'link' && !link && !input.derivedWorkId)
    throw new AppError(422, 'evidence_incomplete', 'This obligation asks for a link as evidence.');
  if (ob.evidenceKind === 'text' && !input.text)
    throw new AppError(422, 'evidence_incomplete', 'This obligation asks for a text as evidence.');
  if (ob.evidenceKind === 'file' && !input.file)
    throw new AppError(422, 'evidence_incomplete', 'This obligation asks for a file as evidence.');
  // File names are data, never paths: the key is the server's own.
  const file = input.file && {
    fileKey: `obligations/${ob.id}/${randomUUID()}`,
    fileName: input.file.name,
    fileSize: input.file.size,
    fileType: input.file.mediaType,
  };
  const evidence: Evidence = {
    ...(file ?? {}),
    ...(link ? { link } : {}),
    ...(input.text ? { text: input.text } : {}),
    ...(input.derivedWorkId ? { derivedWorkId: input.derivedWorkId } : {}),
  };
  const row = await repo.updateObligation(tx.db, ob.id, {
    evidence,
    submittedAt: tx.now,
    statusReason: null,
  });
  await record(tx.db, tx, 'obligation.evidence_submitted', {
    ...target(o),
    // The evidence stays on the obligation; the log says which was given, not what it says: no text,
    // no URL (a hash and host), no file name (its size).
    details: {
      grantId: ob.grantId,
      kind: ob.kind,
      given: kindsGiven(evidence),
      link: linkForAudit(link),
      text: input.text !== undefined,
      derivedWorkId: input.derivedWorkId ?? null,
      file: file ? { size: file.fileSize } : null,
      replaced: ob.submittedAt !== null,
    },
  });
  // The replaced evidence's file is no one's any more.
  const stale = objectsOf(ob.evidence);
  if (!file) return { row, stale };
  if (!store) throw new Error('recordEvidence: a file needs the object store');
  return {
    row,
    stale,
    // The length is signed: the store refuses any other size, so no more than the cap is ever stored here.
    upload: await store.signPut(file.fileKey, {
      contentType: file.fileType,
      size: file.fileSize,
      exactSize: true,
    }),
  };
}

/**
 * Seals an uploaded evidence file the first time it is checked (fetched or verified): copies the
 * grantee's upload to a key no signed PUT was ever made for and records the copy's SHA-256 on the
 * evidence. What a steward reads, verifies and later serves are then the same bytes, whatever the
 * grantee PUTs afterwards with a still-valid URL. An upload over the cap is refused (422
 * `evidence_file_too_large`) and deleted; one missing, or of another size than announced, gives `null`
 * (not uploaded, or not in full). Returns the sealed evidence and the objects to drop after the commit.
 */
async function sealEvidenceFile(
  t: Ctx,
  store: ObjectStore,
  ob: repo.ObligationRow,
): Promise<{ evidence: Evidence; stale: string[] } | null> {
  const e = ob.evidence;
  if (!e?.fileKey) return null;
  if (e.fileSha256)
    return (await store.head(e.fileKey))?.size === e.fileSize ? { evidence: e, stale: [] } : null;
  const upload = e.fileKey;
  const refuse = async () => {
    await store.delete(upload).catch(() => {});
    return tooLarge();
  };
  const found = await store.head(upload);
  if (found && found.size > MAX_EVIDENCE_FILE) throw await refuse();
  if (found?.size !== e.fileSize) return null;
  const sealed = `obligations/${ob.id}/sealed-${randomUUID()}`;
  await store.copy(upload, sealed);
  // The bytes may have changed between the HEAD and the copy: the copy is what counts.
  const copied = await store.head(sealed);
  if (copied?.size !== e.fileSize) {
    await store.delete(sealed).catch(() => {});
    if (copied && copied.size > MAX_EVIDENCE_FILE) throw await refuse();
    return null;
  }
  const evidence: Evidence = { ...e, fileKey: sealed, fileSha256: await store.sha256(sealed) };
  await repo.updateObligation(t.db, ob.id, { evidence });
  return { evidence, stale: [upload] };
}

/** `POST /obligations/:id/evidence` by a grantee (token scope `request`); `upload` when a file is given. */
export async function submitEvidence(ctx: Ctx, store: ObjectStore, id: string, input: SubmitEvidence) {
  const out = await ctx.db.transaction(async (tx) => {
    const t = { ...ctx, db: tx };
    const o = await loadObligation(t, id, { lock: true });
    authorize(t, o, 'submitEvidence', 'given evidence');
    const { upload, stale } = await recordEvidence(t, o, input, store);
    return { ...(await loadObligation(t, id)), upload, stale };
  });
  await dropObjects(store, out.stale);
  return out;
}

/**
 * `GET /obligations/:id/evidence/file`: a signed GET of the evidence file, for whoever may read the
 * obligation (its grantees and the community's stewards); 404 when there is none or it was not uploaded
 * (in full); 422 `evidence_file_too_large` when the upload exceeds the cap (it is deleted). The first
 * fetch seals the file (`sealEvidenceFile`): only the sealed copy is ever served.
 */
export async function evidenceFile(ctx: Ctx, store: ObjectStore, id: string) {
  const out = await ctx.db.transaction(async (tx) => {
    const t = { ...ctx, db: tx };
    const o = await loadObligation(t, id, { lock: true });
    const sealed = await sealEvidenceFile(t, store, o.row.obligation);
    if (!sealed) throw notFound('evidence_file');
    const e = sealed.evidence;
    return {
      signed: await store.signGet(e.fileKey!, { filename: e.fileName, contentType: e.fileType }),
      stale: sealed.stale,
    };
  });
  await dropObjects(store, out.stale);
  return out.signed;
}

/**
 * The next instance of a recurring (`every-n-months`) term after one is closed: due `everyMonths` after
 * the closed one's due date, created only while that date falls inside the grant.
 */
async function scheduleNext(t: Ctx, o: LoadedObligation) {
  const ob = o.row.obligation;
  if (ob.timing !== 'every-n-months' || !ob.dueAt) return undefined;
  // The grant's licence version always exists: the foreign key restricts its deletion.
  const l = (await licencesRepo.findById(t.db, o.row.licenceVersionId))!;
  const term = l.reciprocity.find((r) => r.kind === ob.kind && r.timing === 'every-n-months');
  if (!term) return undefined;
  const due = new Date(ob.dueAt);
  due.setUTCMonth(due.getUTCMonth() + (term.everyMonths ?? 1));
  if (due.getTime() > o.row.grantExpiresAt.getTime()) return undefined;
  return repo.insertObligation(t.db, {
    grantId: ob.grantId,
    kind: ob.kind,
    timing: ob.timing,
    evidenceKind: ob.evidenceKind,
    dueAt: due,
  });
}

/**
 * A steward's act on an open obligation, audited in the act's transaction on the locked row:
 * - `verify`: the submitted evidence meets the term → fulfilled (no evidence yet: 409 `evidence_missing`;
 *   a file not uploaded in full: 409 `evidence_file_missing`; over the cap: 422 `evidence_file_too_large`,
 *   and it is deleted). The file verified is the sealed copy, its size and SHA-256 recorded;
 * - `waive`: the community releases the grantee from it, with a reason → waived;
 * - `reject`: the evidence does not meet the term, with a reason → the evidence is cleared (its file
 *   deleted after the commit) and the obligation stays open (pending, or overdue past its due date).
 * Verifying or waiving a recurring obligation schedules its next instance.
 */
export async function actOnObligation(
  ctx: Ctx,
  store: ObjectStore,
  id: string,
  action: 'verify' | 'waive' | 'reject',
  input: VerifyObligation & Partial<ObligationReason>,
) {
  const out = await ctx.db.transaction(async (tx) => {
    const t = { ...ctx, db: tx };
    const o = await loadObligation(t, id, { lock: true });
    const verb = { verify: 'verified', waive: 'waived', reject: 'sent back' }[action];
    authorize(t, o, action, verb);
    const ob = o.row.obligation;
    const from = shownStatus(ob, ctx.now.getTime());
    if (action !== 'waive' && !ob.submittedAt)
      throw conflict(
        'evidence_missing',
        action === 'verify'
          ? 'No evidence has been submitted for this obligation: it cannot be verified (waive it instead).'
          : 'No evidence has been submitted for this obligation: there is nothing to send back.',
      );
    // A file is evidence only once its bytes are in the store, as announced, and sealed.
    let evidence = ob.evidence;
    let stale: string[] = [];
    if (action === 'verify' && evidence?.fileKey) {
      const sealed = await sealEvidenceFile(t, store, ob);
      if (!sealed)
        throw conflict(
          'evidence_file_missing',
          'The evidence file has not been uploaded (or not in full): it cannot be verified yet.',
        );
      ({ evidence, stale } = sealed);
    }
    if (action === 'reject') stale = objectsOf(evidence);
    const me = ctx.actor.kind === 'user' ? ctx.actor.userId : null;
    let next: repo.ObligationRow | undefined;
    if (action === 'reject') {
      await repo.updateObligation(tx, id, { evidence: null, submittedAt: null, statusReason: input.reason });
    } else {
      await repo.updateObligation(tx, id, {
        status: action === 'verify' ? 'fulfilled' : 'waived',
        verifiedBy: me,
        verifiedAt: ctx.now,
        statusReason: action === 'waive' ? input.reason : (input.note ?? null),
      });
      next = await scheduleNext(t, o);
    }
    await record(tx, ctx, action === 'reject' ? 'obligation.evidence_rejected' : `obligation.${verb}`, {
      ...target(o),
      details: {
        grantId: ob.grantId,
        kind: ob.kind,
        from,
        dueAt: ob.dueAt?.toISOString() ?? null,
        ...(action === 'verify'
          ? {
              given: evidence ? kindsGiven(evidence) : [],
              link: linkForAudit(evidence?.link),
              derivedWorkId: evidence?.derivedWorkId ?? null,
              // The bytes verified: what the sealed copy holds, and will hold.
              file: evidence?.fileKey ? { size: evidence.fileSize, sha256: evidence.fileSha256 } : null,
            }
          : { reason: input.reason }),
        ...(next ? { next: { id: next.id, dueAt: next.dueAt?.toISOString() } } : {}),
      },
    });
    return { ...(await loadObligation(t, id)), next, stale };
  });
  await dropObjects(store, out.stale);
  return out;
}
