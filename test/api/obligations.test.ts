import { createHash } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVIDENCE_FILE } from '../../api/obligations/obligations.schema.ts';
import { auditEvents, derivedWorks, obligations } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { publishRelease } from '../helpers/publish.ts';

type U = { id: string; token: string };
type Ob = {
  id: string;
  kind: string;
  timing: string;
  status: string;
  dueAt: string;
  evidenceSubmitted: boolean;
  submitted: { link: string | null; text: string | null; derivedWorkId: string | null } | null;
  statusReason: string | null;
  can: Record<string, boolean>;
};

const licence = {
  base: 'CC-BY-4.0',
  text: 'Share back.',
  purposes: ['research'],
  prohibitions: [],
  reciprocity: [
    { kind: 'contribute-funds', timing: 'before-download', evidence: 'text' },
    { kind: 'share-model', timing: 'after-grant', dueDays: 30, evidence: 'link' },
    { kind: 'report-use', timing: 'every-n-months', everyMonths: 3, evidence: 'text' },
    { kind: 'delete-at-end', timing: 'at-end', evidence: 'file' },
  ],
  decision: { rule: 'single' },
  maxGrantDays: 365,
  fields: [],
};

/**
 * Obligations and derived works over HTTP (issue 5): evidence by a grantee, verify / waive / reject by a
 * steward of the dataset's community, each audited; an overdue obligation holds downloads back until it
 * is verified or waived (evidence alone does not); recurring terms schedule their next instance; derived
 * works are registered against a grant, can be a sharing term's evidence, and are listed on the dataset.
 */
describe('obligations and derived works', () => {
  let app: TestApp;
  let steward: U, stewardElsewhere: U, outsider: U;
  let file: string;

  const post = (path: string, token: string | undefined, json: unknown = {}) =>
    app.api(path, { method: 'POST', token, json });
  const download = (token: string) => app.api(`/files/${file}/download`, { token });
  const obligationsOf = async (grantId: string, token: string): Promise<Ob[]> => {
    const res = await app.api(`/grants/${grantId}/obligations`, { token });
    expect(res.status).toBe(200);
    return (await res.json()).items;
  };
  const byKind = async (grantId: string, token: string, kind: string) =>
    (await obligationsOf(grantId, token)).find((o) => o.kind === kind && o.status !== 'fulfilled')!;
  const counts = async () => {
    const db = app.database.db;
    return {
      audit: (await db.select({ n: count() }).from(auditEvents))[0].n,
      obligations: await db.select().from(obligations).orderBy(obligations.id),
      works: (await db.select({ n: count() }).from(derivedWorks))[0].n,
    };
  };
  const events = (subjectId: string) =>
    app.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.subjectId, subjectId))
      // In the log's order: PostgreSQL returns rows in no set order without it.
      .orderBy(auditEvents.seq);
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  /** The evidence as stored (its file's storage key is the server's, never shown). */
  const storedEvidence = async (id: string) =>
    (await app.database.db.select().from(obligations).where(eq(obligations.id, id)))[0].evidence;

  /** A new user whose request on `ob` the steward approved: the grant id and the user. */
  async function grantee(email: string, scopes?: string[]) {
    const u = await app.user({ email, scopes });
    const full = scopes ? await app.user({ email }) : u;
    const res = await post('/datasets/ob/access-requests', full.token, {
      purpose: { category: 'research', description: 'A study', commercial: false, forProfit: false },
      licenceVersion: 1,
      answers: {},
    });
    expect(res.status).toBe(201);
    const { id } = await res.json();
    const r = await (
      await post(`/access-requests/${id}/reviews`, steward.token, { decision: 'approve' })
    ).json();
    expect(r.status).toBe('approved');
    return { user: u, full, grantId: r.grant.id as string };
  }

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await app.user({ email: 'admin@test.org', admin: true });
    for (const [slug, s] of [
      ['oc', 's@test.org'],
      ['oc2', 's2@test.org'],
    ])
      expect((await post('/communities', admin.token, { slug, name: slug, stewardEmail: s })).status).toBe(
        201,
      );
    steward = await app.user({ email: 's@test.org' });
    stewardElsewhere = await app.user({ email: 's2@test.org' });
    outsider = await app.user({ email: 'out@test.org' });
    const pub = await publishRelease(app.api, steward.token, {
      community: 'oc',
      slug: 'ob',
      tier: 'gated',
      tag: 'v1',
      files: [{ name: 'data.bin', body: 'data\n' }],
      publishDataset: false,
    });
    file = pub.ids['data.bin'];
    expect((await post('/datasets/ob/licences', steward.token, licence)).status).toBe(201);
    expect((await post('/datasets/ob/publish', steward.token)).status).toBe(200);
  });
  afterAll(() => app?.stop());

  it('lists a grant’s obligations for its grantee and the steward, not for others', async () => {
    const { user, grantId } = await grantee('list@test.org');
    const mine = await obligationsOf(grantId, user.token);
    expect(mine.map((o) => o.kind).sort()).toEqual([
      'contribute-funds',
      'delete-at-end',
      'report-use',
      'share-model',
    ]);
    const funds = mine.find((o) => o.kind === 'contribute-funds')!;
    // Due at issue, with evidence to give: overdue at once, so the grant downloads nothing yet.
    expect(funds).toMatchObject({ status: 'overdue', evidenceSubmitted: false });
    expect(funds.can).toEqual({ submitEvidence: true, verify: false, waive: false, reject: false });
    const theirs = await obligationsOf(grantId, steward.token);
    expect(theirs.find((o) => o.kind === 'contribute-funds')!.can).toEqual({
      submitEvidence: false,
      verify: true,
      waive: true,
      reject: true,
    });
    for (const who of [outsider, stewardElsewhere]) {
      const res = await app.api(`/grants/${grantId}/obligations`, { token: who.token });
      expect([res.status, (await res.json()).code]).toEqual([404, 'grant_not_found']);
      const one = await app.api(`/obligations/${funds.id}`, { token: who.token });
      expect([one.status, (await one.json()).code]).toEqual([404, 'obligation_not_found']);
    }
    expect((await app.api(`/grants/${grantId}/obligations`)).status).toBe(404);
    // The grant's JSON carries the same obligations.
    const g = await (await app.api(`/grants/${grantId}`, { token: user.token })).json();
    expect(g.obligations.map((o: Ob) => o.id).sort()).toEqual(mine.map((o) => o.id).sort());
    expect(g.can.registerDerivedWork).toBe(true);
  });

  it('evidence alone does not restore downloads; a rejection sends it back; verification does', async () => {
    // A token with only the `request` scope submits evidence (the requester's side); downloads use another.
    const { user, full, grantId } = await grantee('ev@test.org', ['request']);
    expect((await download(full.token)).status).toBe(403);
    const funds = await byKind(grantId, full.token, 'contribute-funds');
    const sent = await post(`/obligations/${funds.id}/evidence`, user.token, { text: 'Paid NZ$500, ref 42' });
    expect(sent.status).toBe(200);
    expect(await sent.json()).toMatchObject({
      status: 'overdue',
      evidenceSubmitted: true,
      submitted: { text: 'Paid NZ$500, ref 42', link: null },
    });
    expect((await download(full.token)).status).toBe(403);
    const manifest = await (await app.api('/datasets/ob/releases/v1/manifest', { token: full.token })).json();
    expect(manifest.withheld[0].reason).toBe('obligation_overdue');

    const rejected = await post(`/obligations/${funds.id}/reject`, steward.token, {
      reason: 'No payment with that reference.',
    });
    expect(rejected.status).toBe(200);
    expect(await rejected.json()).toMatchObject({
      status: 'overdue',
      evidenceSubmitted: false,
      submitted: null,
      statusReason: 'No payment with that reference.',
    });
    expect((await download(full.token)).status).toBe(403);
    // Nothing to verify once the evidence went back.
    const empty = await post(`/obligations/${funds.id}/verify`, steward.token);
    expect([empty.status, (await empty.json()).code]).toEqual([409, 'evidence_missing']);

    await post(`/obligations/${funds.id}/evidence`, user.token, { text: 'Paid NZ$500, ref 43' });
    const verified = await post(`/obligations/${funds.id}/verify`, steward.token, { note: 'Received.' });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({ status: 'fulfilled', next: null });
    expect((await download(full.token)).status).toBe(302);

    const again = await post(`/obligations/${funds.id}/verify`, steward.token);
    expect([again.status, (await again.json()).code]).toEqual([409, 'obligation_state_conflict']);
    const late = await post(`/obligations/${funds.id}/evidence`, user.token, { text: 'more' });
    expect([late.status, (await late.json()).code]).toEqual([409, 'obligation_state_conflict']);

    const log = (await events(funds.id)).map((e) => [e.action, e.details]);
    expect(log.map(([a]) => a)).toEqual([
      'obligation.evidence_submitted',
      'obligation.evidence_rejected',
      'obligation.evidence_submitted',
      'obligation.verified',
    ]);
    expect(log[1][1]).toMatchObject({ reason: 'No payment with that reference.', from: 'overdue' });
    // The log says evidence was given, never what the text says.
    expect(JSON.stringify(log)).not.toContain('ref 42');
    const [v] = await events(funds.id).then((es) => es.filter((e) => e.action === 'obligation.verified'));
    expect(v).toMatchObject({ actorId: steward.id, subjectType: 'Obligation' });
  });

  it('waiving an obligation the job marked overdue restores downloads', async () => {
    const { user, grantId } = await grantee('waive@test.org');
    const funds = await byKind(grantId, user.token, 'contribute-funds');
    // As the periodic job would: the status itself says overdue.
    await app.database.db.update(obligations).set({ status: 'overdue' }).where(eq(obligations.id, funds.id));
    expect((await download(user.token)).status).toBe(403);
    const noReason = await post(`/obligations/${funds.id}/waive`, steward.token, {});
    expect([noReason.status, (await noReason.json()).code]).toEqual([400, 'validation_failed']);
    const blank = await post(`/obligations/${funds.id}/waive`, steward.token, { reason: '   ' });
    expect(blank.status).toBe(400);
    const res = await post(`/obligations/${funds.id}/waive`, steward.token, { reason: 'Hardship' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'waived', statusReason: 'Hardship' });
    expect((await download(user.token)).status).toBe(302);
    const [e] = await events(funds.id);
    expect(e).toMatchObject({
      action: 'obligation.waived',
      details: { reason: 'Hardship', from: 'overdue' },
    });
  });

  it('refuses what a caller may not do, with stable codes, and writes nothing', async () => {
    const { user, grantId } = await grantee('refuse@test.org');
    const readOnly = await app.user({ email: 'refuse@test.org', scopes: ['read', 'download'] });
    const stewardRead = await app.user({ email: 's@test.org', scopes: ['read'] });
    const mate = await grantee('mate@test.org');
    const funds = await byKind(grantId, user.token, 'contribute-funds');
    const share = await byKind(grantId, user.token, 'share-model');
    const before = await counts();
    const cases: [string, string | undefined, unknown, number, string][] = [
      // Non-grantees cannot see the obligation at all.
      [`/obligations/${funds.id}/evidence`, outsider.token, { text: 'x' }, 404, 'obligation_not_found'],
      [`/obligations/${funds.id}/evidence`, mate.user.token, { text: 'x' }, 404, 'obligation_not_found'],
      [
        `/obligations/${funds.id}/evidence`,
        stewardElsewhere.token,
        { text: 'x' },
        404,
        'obligation_not_found',
      ],
      [`/obligations/${funds.id}/evidence`, undefined, { text: 'x' }, 401, 'unauthenticated'],
      // The steward reads it but gives no evidence; a token without `request` cannot either.
      [`/obligations/${funds.id}/evidence`, steward.token, { text: 'x' }, 403, 'forbidden'],
      [`/obligations/${funds.id}/evidence`, readOnly.token, { text: 'x' }, 403, 'forbidden'],
      // Bad evidence.
      [`/obligations/${funds.id}/evidence`, user.token, {}, 400, 'validation_failed'],
      [`/obligations/${funds.id}/evidence`, user.token, { text: '' }, 400, 'validation_failed'],
      [
        `/obligations/${funds.id}/evidence`,
        user.token,
        { link: 'javascript:alert(1)' },
        400,
        'validation_failed',
      ],
      [`/obligations/${funds.id}/evidence`, user.token, { text: 'x', extra: 1 }, 400, 'validation_failed'],
      [
        `/obligations/${funds.id}/evidence`,
        user.token,
        { link: 'https://e.org/x' },
        422,
        'evidence_incomplete',
      ],
      [`/obligations/${share.id}/evidence`, user.token, { text: 'trust me' }, 422, 'evidence_incomplete'],
      [
        `/obligations/${share.id}/evidence`,
        user.token,
        { derivedWorkId: '00000000-0000-4000-8000-000000000000' },
        422,
        'derived_work_not_in_grant',
      ],
      [`/obligations/not-a-uuid/evidence`, user.token, { text: 'x' }, 400, 'validation_failed'],
      // Only a steward of the dataset's community verifies, waives or rejects.
      [`/obligations/${funds.id}/verify`, user.token, {}, 403, 'forbidden'],
      [`/obligations/${funds.id}/waive`, user.token, { reason: 'please' }, 403, 'forbidden'],
      [`/obligations/${funds.id}/reject`, user.token, { reason: 'no' }, 403, 'forbidden'],
      [`/obligations/${funds.id}/verify`, stewardElsewhere.token, {}, 404, 'obligation_not_found'],
      [`/obligations/${funds.id}/waive`, outsider.token, { reason: 'x' }, 404, 'obligation_not_found'],
      [`/obligations/${funds.id}/waive`, stewardRead.token, { reason: 'x' }, 403, 'forbidden'],
      // Verifying needs evidence; waiving and rejecting need a reason.
      [`/obligations/${funds.id}/verify`, steward.token, {}, 409, 'evidence_missing'],
      [`/obligations/${funds.id}/reject`, steward.token, { reason: 'x' }, 409, 'evidence_missing'],
      [`/obligations/${funds.id}/waive`, steward.token, {}, 400, 'validation_failed'],
      [`/obligations/${funds.id}/reject`, steward.token, {}, 400, 'validation_failed'],
      [`/obligations/${funds.id}/verify`, steward.token, { note: 1 }, 400, 'validation_failed'],
      // Derived works: only a grantee, with a proper body.
      [
        `/grants/${grantId}/derived-works`,
        outsider.token,
        { kind: 'model', title: 'M' },
        404,
        'grant_not_found',
      ],
      [`/grants/${grantId}/derived-works`, steward.token, { kind: 'model', title: 'M' }, 403, 'forbidden'],
      [`/grants/${grantId}/derived-works`, readOnly.token, { kind: 'model', title: 'M' }, 403, 'forbidden'],
      [
        `/grants/${grantId}/derived-works`,
        user.token,
        { kind: 'poem', title: 'M' },
        400,
        'validation_failed',
      ],
      [
        `/grants/${grantId}/derived-works`,
        user.token,
        { kind: 'model', title: '' },
        400,
        'validation_failed',
      ],
      [
        `/grants/${grantId}/derived-works`,
        user.token,
        { kind: 'model', title: 'M', url: 'data:text/html,x' },
        400,
        'validation_failed',
      ],
      [
        `/grants/${grantId}/derived-works`,
        user.token,
        { kind: 'paper', title: 'P', obligationId: share.id },
        422,
        'derived_work_kind_mismatch',
      ],
      [
        `/grants/${grantId}/derived-works`,
        user.token,
        {
          kind: 'model',
          title: 'M',
          obligationId: (await byKind(mate.grantId, mate.user.token, 'share-model')).id,
        },
        404,
        'obligation_not_found',
      ],
    ];
    for (const [path, token, json, status, code] of cases) {
      const res = await post(path, token, json);
      expect([path, res.status, (await res.json()).code]).toEqual([path, status, code]);
    }
    expect(await counts()).toEqual(before);
  });

  it('a recurring obligation schedules its next instance when verified or waived', async () => {
    const { user, grantId } = await grantee('recur@test.org');
    const first = await byKind(grantId, user.token, 'report-use');
    await post(`/obligations/${first.id}/evidence`, user.token, { text: 'Used in two papers.' });
    const res = await (await post(`/obligations/${first.id}/verify`, steward.token)).json();
    expect(res.status).toBe('fulfilled');
    const due = new Date(first.dueAt);
    due.setUTCMonth(due.getUTCMonth() + 3);
    expect(res.next).toMatchObject({ kind: 'report-use', timing: 'every-n-months', status: 'pending' });
    expect(res.next.dueAt).toBe(due.toISOString());
    const [verified] = (await events(first.id)).filter((e) => e.action === 'obligation.verified');
    expect(verified.details).toMatchObject({ next: { id: res.next.id, dueAt: due.toISOString() } });

    const waived = await (
      await post(`/obligations/${res.next.id}/waive`, steward.token, { reason: 'Quiet quarter' })
    ).json();
    const due2 = new Date(due);
    due2.setUTCMonth(due2.getUTCMonth() + 3);
    expect(waived.next.dueAt).toBe(due2.toISOString());
    const reports = (await obligationsOf(grantId, user.token)).filter((o) => o.kind === 'report-use');
    expect(reports.map((o) => o.status)).toEqual(['fulfilled', 'waived', 'pending']);
  });

  it('a model registered against the grant is the share-model evidence; the steward verifies it; the dataset lists it', async () => {
    const { user, grantId } = await grantee('model@test.org');
    const share = await byKind(grantId, user.token, 'share-model');
    const res = await post(`/grants/${grantId}/derived-works`, user.token, {
      kind: 'model',
      title: 'River-BERT',
      url: 'https://models.example.org/river-bert',
      description: 'Fine-tuned on the readings.',
      obligationId: share.id,
    });
    expect(res.status).toBe(201);
    const work = await res.json();
    expect(work).toMatchObject({ kind: 'model', title: 'River-BERT', grantId });
    const after = await byKind(grantId, user.token, 'share-model');
    expect(after).toMatchObject({
      status: 'pending',
      evidenceSubmitted: true,
      submitted: { derivedWorkId: work.id, link: 'https://models.example.org/river-bert' },
    });
    const [registered] = await events(work.id);
    expect(registered).toMatchObject({
      action: 'derived_work.registered',
      details: { grantId, kind: 'model', obligationId: share.id },
    });
    expect((await events(share.id)).map((e) => e.action)).toEqual(['obligation.evidence_submitted']);
    expect((await post(`/obligations/${share.id}/verify`, steward.token)).status).toBe(200);

    // A paper without an obligation; then an existing work linked as evidence by id.
    const paper = await (
      await post(`/grants/${grantId}/derived-works`, user.token, { kind: 'paper', title: 'Rivers, read' })
    ).json();
    expect(paper.url).toBeNull();

    // Public on the published dataset, with no grant or person named.
    const list = await app.api('/datasets/ob/derived-works');
    expect(list.status).toBe(200);
    const { items } = await list.json();
    expect(items.map((w: { title: string }) => w.title)).toEqual(['Rivers, read', 'River-BERT']);
    expect(Object.keys(items[0]).sort()).toEqual(['createdAt', 'description', 'id', 'kind', 'title', 'url']);
    const mine = await (await app.api(`/grants/${grantId}/derived-works`, { token: user.token })).json();
    expect(mine.items).toHaveLength(2);
    expect((await app.api(`/grants/${grantId}/derived-works`, { token: outsider.token })).status).toBe(404);
    expect((await app.api('/datasets/nope/derived-works')).status).toBe(404);
  });

  it('evidence can name a derived work registered earlier; a revoked grant registers nothing', async () => {
    const { user, grantId } = await grantee('later@test.org');
    const w = await (
      await post(`/grants/${grantId}/derived-works`, user.token, {
        kind: 'model',
        title: 'Later model',
        url: 'https://e.org/m',
      })
    ).json();
    const share = await byKind(grantId, user.token, 'share-model');
    const res = await post(`/obligations/${share.id}/evidence`, user.token, { derivedWorkId: w.id });
    expect(res.status).toBe(200);
    expect((await res.json()).submitted).toEqual({
      derivedWorkId: w.id,
      link: 'https://e.org/m',
      text: null,
      file: null,
    });
    expect((await post(`/grants/${grantId}/revoke`, steward.token, { reason: 'Breach' })).status).toBe(200);
    const after = await post(`/grants/${grantId}/derived-works`, user.token, { kind: 'model', title: 'X' });
    expect([after.status, (await after.json()).code]).toEqual([403, 'forbidden']);
  });

  it('a file as evidence: a signed PUT to upload it, verified only once it is stored; stewards fetch it', async () => {
    const { user, grantId } = await grantee('file@test.org');
    const del = await byKind(grantId, user.token, 'delete-at-end');
    const url = `/obligations/${del.id}/evidence`;
    const bytes = Buffer.from('%PDF-1.4 certificate of deletion\n');
    const bad: [unknown, number, string][] = [
      [{ text: 'Deleted.' }, 422, 'evidence_incomplete'],
      [{ file: { name: '../x.pdf', size: 10, mediaType: 'application/pdf' } }, 400, 'validation_failed'],
      [{ file: { name: 'x.pdf', size: 0, mediaType: 'application/pdf' } }, 400, 'validation_failed'],
      [{ file: { name: 'x.pdf', size: 60_000_000, mediaType: 'application/pdf' } }, 400, 'validation_failed'],
      [{ file: { name: 'x.pdf', size: 10, mediaType: 'not a type' } }, 400, 'validation_failed'],
    ];
    for (const [json, status, code] of bad) {
      const res = await post(url, user.token, json);
      expect([res.status, (await res.json()).code]).toEqual([status, code]);
    }
    const res = await post(url, user.token, {
      text: 'Certificate attached.',
      file: { name: 'deletion.pdf', size: bytes.length, mediaType: 'application/pdf' },
    });
    expect(res.status).toBe(200);
    const ob = await res.json();
    expect(ob.submitted.file).toEqual({
      name: 'deletion.pdf',
      size: bytes.length,
      mediaType: 'application/pdf',
      url: `/api/v1/obligations/${del.id}/evidence/file`,
    });
    expect(ob.upload).toMatchObject({ method: 'PUT', url: expect.any(String) });

    // Announced, not uploaded: nothing to verify or fetch yet.
    const early = await post(`/obligations/${del.id}/verify`, steward.token);
    expect([early.status, (await early.json()).code]).toEqual([409, 'evidence_file_missing']);
    const none = await app.api(`/obligations/${del.id}/evidence/file`, { token: steward.token });
    expect([none.status, (await none.json()).code]).toEqual([404, 'evidence_file_not_found']);

    // The signed PUT names the announced length: the store itself refuses a body of any other size.
    const longer = Buffer.concat([bytes, Buffer.alloc(1000, 'x')]);
    const wrong = await fetch(ob.upload.url, { method: 'PUT', headers: ob.upload.headers, body: longer });
    expect(wrong.status).toBe(403);
    const put = await fetch(ob.upload.url, { method: 'PUT', headers: ob.upload.headers, body: bytes });
    expect(put.status).toBe(200);
    const upload = (await storedEvidence(del.id))!.fileKey!;
    for (const who of [steward, user]) {
      const got = await app.api(`/obligations/${del.id}/evidence/file`, { token: who.token });
      expect(got.status).toBe(302);
      const body = Buffer.from(await (await fetch(got.headers.get('location')!)).arrayBuffer());
      expect(body.equals(bytes)).toBe(true);
    }
    // The first fetch sealed the file: a server-made copy with its SHA-256; the upload is gone.
    const sealed = (await storedEvidence(del.id))!;
    expect(sealed.fileKey).not.toBe(upload);
    expect(sealed.fileSha256).toBe(sha(bytes));
    expect(await app.store.head(upload)).toBeNull();
    // Bytes swapped later through the still-valid URL (same size) are never served nor verified.
    const swapped = Buffer.from('%PDF-1.4 nothing was deleted, ha\n');
    expect(swapped.length).toBe(bytes.length);
    const swap = await fetch(ob.upload.url, { method: 'PUT', headers: ob.upload.headers, body: swapped });
    expect(swap.status).toBe(200);
    const again = await app.api(`/obligations/${del.id}/evidence/file`, { token: steward.token });
    const served = Buffer.from(await (await fetch(again.headers.get('location')!)).arrayBuffer());
    expect(served.equals(bytes)).toBe(true);
    for (const who of [outsider, stewardElsewhere]) {
      const got = await app.api(`/obligations/${del.id}/evidence/file`, { token: who.token });
      expect([got.status, (await got.json()).code]).toEqual([404, 'obligation_not_found']);
    }
    const ok = await post(`/obligations/${del.id}/verify`, steward.token);
    expect([ok.status, (await ok.json()).status]).toEqual([200, 'fulfilled']);
    const log = await events(del.id);
    expect(log.map((e) => [e.action, e.details])).toEqual([
      [
        'obligation.evidence_submitted',
        expect.objectContaining({ given: ['text', 'file'], text: true, file: { size: bytes.length } }),
      ],
      [
        'obligation.verified',
        expect.objectContaining({
          given: ['text', 'file'],
          file: { size: bytes.length, sha256: sha(bytes) },
        }),
      ],
    ]);
    // Neither the file's name nor the statement is in the append-only log.
    expect(JSON.stringify(log)).not.toMatch(/deletion\.pdf|Certificate attached/);
  });

  it('an evidence file over the cap is refused at verify (422) and deleted; the obligation stays open', async () => {
    const { user, grantId } = await grantee('big@test.org');
    const del = await byKind(grantId, user.token, 'delete-at-end');
    const res = await post(`/obligations/${del.id}/evidence`, user.token, {
      file: { name: 'huge.pdf', size: 10, mediaType: 'application/pdf' },
    });
    expect(res.status).toBe(200);
    // As a store that ignores the signed length would let it: more than the cap under the upload's key.
    const key = (await storedEvidence(del.id))!.fileKey!;
    await app.store.put(key, Buffer.alloc(MAX_EVIDENCE_FILE + 1), 'application/pdf');
    const before = await counts();
    const v = await post(`/obligations/${del.id}/verify`, steward.token);
    expect([v.status, (await v.json()).code]).toEqual([422, 'evidence_file_too_large']);
    expect(await app.store.head(key)).toBeNull();
    expect(await counts()).toEqual(before);
    expect(await byKind(grantId, user.token, 'delete-at-end')).toMatchObject({
      status: 'pending',
      evidenceSubmitted: true,
    });
    // Fetching it is refused the same way, before any copy is made.
    await app.store.put(key, Buffer.alloc(MAX_EVIDENCE_FILE + 1), 'application/pdf');
    const f = await app.api(`/obligations/${del.id}/evidence/file`, { token: steward.token });
    expect([f.status, (await f.json()).code]).toEqual([422, 'evidence_file_too_large']);
    expect(await app.store.head(key)).toBeNull();
  });

  it('a replaced or sent-back evidence file is deleted from the store', async () => {
    const { user, grantId } = await grantee('stale@test.org');
    const del = await byKind(grantId, user.token, 'delete-at-end');
    const give = async (body: string) => {
      const ob = await (
        await post(`/obligations/${del.id}/evidence`, user.token, {
          file: { name: 'c.txt', size: body.length, mediaType: 'text/plain' },
        })
      ).json();
      const put = await fetch(ob.upload.url, { method: 'PUT', headers: ob.upload.headers, body });
      expect(put.status).toBe(200);
      return (await storedEvidence(del.id))!.fileKey!;
    };
    const first = await give('first copy');
    expect(await app.store.head(first)).toEqual({ size: 10 });
    const second = await give('second copy');
    expect(await app.store.head(first)).toBeNull();
    expect(await app.store.head(second)).toEqual({ size: 11 });
    // Sealed by the steward's fetch, then sent back: the copy goes too.
    expect((await app.api(`/obligations/${del.id}/evidence/file`, { token: steward.token })).status).toBe(
      302,
    );
    const sealed = (await storedEvidence(del.id))!.fileKey!;
    expect(await app.store.head(sealed)).toEqual({ size: 11 });
    const r = await post(`/obligations/${del.id}/reject`, steward.token, { reason: 'Unsigned.' });
    expect(r.status).toBe(200);
    expect(await app.store.head(sealed)).toBeNull();
    expect(await app.store.head(second)).toBeNull();
  });

  it('the audit log keeps a hash and the host of an evidence link, never the link', async () => {
    const { user, grantId } = await grantee('secret@test.org');
    const share = await byKind(grantId, user.token, 'share-model');
    const link = 'https://drive.example.com/s/SHARETOKEN123?key=hunter2';
    expect((await post(`/obligations/${share.id}/evidence`, user.token, { link })).status).toBe(200);
    expect((await post(`/obligations/${share.id}/verify`, steward.token)).status).toBe(200);
    const log = await events(share.id);
    expect(log.map((e) => [e.action, e.details])).toEqual([
      [
        'obligation.evidence_submitted',
        expect.objectContaining({ given: ['link'], link: { sha256: sha(link), host: 'drive.example.com' } }),
      ],
      [
        'obligation.verified',
        expect.objectContaining({ given: ['link'], link: { sha256: sha(link), host: 'drive.example.com' } }),
      ],
    ]);
    const all = await app.database.db.select().from(auditEvents);
    expect(JSON.stringify(all)).not.toMatch(/SHARETOKEN123|hunter2/);
  });

  it('is documented in the OpenAPI description', async () => {
    const doc = await (await app.api('/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/grants/{id}/obligations',
        '/obligations/{id}/evidence',
        '/obligations/{id}/verify',
        '/obligations/{id}/waive',
        '/obligations/{id}/reject',
        '/grants/{id}/derived-works',
        '/datasets/{slug}/derived-works',
      ]),
    );
    const ev = doc.paths['/obligations/{id}/evidence'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(ev.properties).sort()).toEqual(['derivedWorkId', 'file', 'link', 'text']);
  });
});
