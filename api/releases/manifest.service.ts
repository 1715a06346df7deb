import { accessibleWhere } from '../../policies/index.ts';
import { subjectOf } from '../../policies/subject.ts';
import type { Ctx } from '../context.ts';
import { releaseSubject } from '../datasets/datasets.present.ts';
import { loadReadable } from '../datasets/datasets.service.ts';
import { notFound } from '../errors.ts';
import type { DownloadRow } from '../files/files.repo.ts';
import { fileColumns } from '../files/files.repo.ts';
import { issueDownloadOf } from '../files/files.service.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import * as repo from './manifest.repo.ts';
import type { ManifestQuery, WithheldReason } from './manifest.schema.ts';
import { loadRelease } from './releases.service.ts';

/** The tag that names a dataset's newest published release. */
export const LATEST = 'latest';

async function loadManifestRelease(ctx: Ctx, slug: string, tag: string) {
  if (tag !== LATEST) return loadRelease(ctx, slug, tag);
  const d = await loadReadable(ctx, slug);
  const r = await repo.latestPublished(ctx.db, d.id);
  if (!r || !ctx.ability.can('read', subjectOf('Release', releaseSubject(d, r)))) throw notFound('release');
  return { d, r };
}

/**
 * The release's manifest for the caller: every file they may download, each with a signed URL issued
 * through the download gate (`issueDownloadOf`, the same decision and `download.issued` record as
 * `GET /files/:id/download`, committed before the URL exists), and the files they may see but not
 * download, each with the step they are missing.
 */
export async function releaseManifest(
  ctx: Ctx,
  store: ObjectStore,
  slug: string,
  tag: string,
  query: ManifestQuery,
  /** Counts the URLs about to be issued against the caller's download limit; throws 429 past it. */
  countDownloads?: (n: number) => Promise<void>,
) {
  const { d, r } = await loadManifestRelease(ctx, slug, tag);
  const downloadWhere = accessibleWhere(ctx.ability, 'download', 'File', fileColumns);
  const rows = await repo.downloadable(ctx.db, r.id, downloadWhere, query.files);
  if (rows.length) await countDownloads?.(rows.length);
  const files = [];
  // One at a time: each URL is signed only after its own event is committed.
  for (const row of rows) {
    const out = await issueDownloadOf(ctx, store, row);
    files.push({
      id: row.id,
      name: row.name,
      size: row.size,
      sha256: row.sha256,
      mediaType: row.mediaType,
      tier: row.tier,
      url: out.url,
      expiresAt: out.expiresAt,
    });
  }
  const readWhere = accessibleWhere(ctx.ability, 'read', 'File', fileColumns);
  const held = await repo.withheld(ctx.db, r.id, readWhere, downloadWhere, query.files);
  const explain = held.length ? await explainer(ctx, d.id) : undefined;
  const withheld = held.map((f) => {
    const reason = explain!(f);
    return { id: f.id, name: f.name, size: f.size, tier: f.tier, reason, message: messages[reason] };
  });
  return { d, r, files, withheld };
}

/*
 * The reasons below explain a refusal; they never decide one. The decision is the policy's (the SQL
 * above); the caller's grants on the dataset are read here only to name what is missing.
 */
async function explainer(ctx: Ctx, datasetId: string): Promise<(f: DownloadRow) => WithheldReason> {
  const actor = ctx.actor;
  const [grants, pendingRequest] =
    actor.kind === 'user'
      ? await Promise.all([
          repo.grantStatesOn(ctx.db, actor.userId, datasetId),
          repo.hasPendingRequest(ctx.db, actor.userId, datasetId),
        ])
      : [[], false];
  return (f) => {
    if (f.status !== 'available') return 'not_available';
    if (f.tier === 'closed') return 'closed';
    if (actor.kind === 'anonymous') return 'sign_in';
    if (actor.token && !actor.token.scopes.includes('download')) return 'token_scope';
    const covering = grants.filter(
      (g) =>
        g.scopeType === 'dataset' ||
        (g.scopeType === 'release' && g.scopeIds.includes(f.releaseId)) ||
        (g.scopeType === 'file' && g.scopeIds.includes(f.id)),
    );
    // The grant closest to being in force names the step: a fulfilled obligation or a reinstatement
    // restores access, an ended grant needs a new request.
    const any = (pred: (g: repo.GrantState) => boolean) => covering.some(pred);
    if (any((g) => g.status === 'active' && !g.ended && !g.notStarted && !g.licenceWithdrawn && g.overdue))
      return 'obligation_overdue';
    if (any((g) => g.status === 'suspended')) return 'grant_suspended';
    if (any((g) => g.status === 'active' && !g.ended && g.licenceWithdrawn)) return 'licence_withdrawn';
    if (any((g) => g.status === 'active' && !g.ended && g.notStarted)) return 'grant_not_started';
    if (any((g) => g.status === 'expired' || (g.status === 'active' && g.ended))) return 'grant_expired';
    if (any((g) => g.status === 'revoked')) return 'grant_revoked';
    if (pendingRequest) return 'request_pending';
    if (f.tier === 'registered') return 'accept_licence';
    if (grants.some((g) => g.status === 'active' && !g.ended)) return 'outside_grant_scope';
    return 'request_access';
  };
}

/** What each reason asks the caller to do, in words a person reads in the CLI or the web app. */
const messages: Record<WithheldReason, string> = {
  sign_in: 'Sign in (or send a bearer token) to download this file.',
  token_scope: 'Your token lacks the "download" scope: create one with --scopes read,download.',
  accept_licence: "Accept the dataset's licence (on its page) to download this file.",
  request_access: 'Request access to this dataset for your purpose; a steward decides.',
  request_pending: 'Your access request is waiting for a decision.',
  obligation_overdue:
    'An obligation of your grant is overdue: fulfil it (or ask the steward to waive it) to download again.',
  grant_suspended: 'Your grant on this dataset is suspended; the steward can reinstate it.',
  grant_revoked: 'Your grant on this dataset was revoked; request access again.',
  grant_expired: 'Your grant on this dataset has ended; ask for a renewal or request access again.',
  grant_not_started: 'Your grant on this dataset has not started yet.',
  licence_withdrawn:
    'The licence version of your grant was withdrawn; request access under the current version.',
  outside_grant_scope: "This file is outside your grant's scope; request access to it.",
  closed: 'This file is closed: its metadata is public, its bytes are not shared.',
  not_available: 'This file is not uploaded and verified yet.',
};
