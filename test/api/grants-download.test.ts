import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasets, grantees, grants, licenceVersions, obligations } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { CookieClient } from '../helpers/browserless.ts';

type GrantState = Partial<typeof grants.$inferInsert>;

/**
 * Downloads of gated files under grants in every state (DOMAIN.md, "Grantee"): only an active grant,
 * inside its dates, under a licence version not withdrawn, with no overdue obligation, covering the file.
 */
describe('grants decide gated downloads', () => {
  let app: TestApp;
  let datasetId: string;
  let otherDatasetId: string;
  let licenceId: string;
  let gatedFile: { id: string; releaseId: string };
  let n = 0;
  let lastGrantId = '';

  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
    const page = await (await app.api('/datasets/demo-oral-histories')).json();
    datasetId = page.id;
    const f = page.releases[0].files.find((x: { name: string }) => x.name === 'transcripts.txt');
    gatedFile = { id: f.id, releaseId: page.releases[0].id };
    otherDatasetId = (await (await app.api('/datasets/demo-river-readings')).json()).id;
    // The seed publishes versions 1…; this test's own versions stay clear of them.
    const [lv] = await app.database.db
      .insert(licenceVersions)
      .values({ datasetId, version: 101, base: 'CC-BY-NC-4.0', text: 'Research only.' })
      .returning();
    licenceId = lv.id;
  });
  afterAll(() => app?.stop());

  const day = 86_400_000;
  /** A new user holding one grant in the given state; returns their token. */
  /** Grants the gated dataset to `userId` in the given state; returns the grant id. */
  async function grantTo(userId: string, state: GrantState = {}) {
    const [g] = await app.database.db
      .insert(grants)
      .values({
        datasetId,
        kind: 'request',
        licenceVersionId: licenceId,
        expiresAt: new Date(Date.now() + 30 * day),
        ...state,
      })
      .returning();
    await app.database.db.insert(grantees).values({ grantId: g.id, userId });
    return g.id;
  }

  /** A new user holding one grant in the given state; returns their token. */
  async function holder(
    state: GrantState,
    opts: { scopes?: string[]; obligation?: Partial<typeof obligations.$inferInsert>; admin?: boolean } = {},
  ) {
    const u = await app.user({ email: `g${n++}@test.org`, scopes: opts.scopes, admin: opts.admin });
    lastGrantId = await grantTo(u.id, state);
    if (opts.obligation)
      await app.database.db
        .insert(obligations)
        .values({ grantId: lastGrantId, kind: 'report-use', timing: 'after-grant', ...opts.obligation });
    return u.token;
  }

  const download = (token: string) => app.api(`/files/${gatedFile.id}/download`, { token });

  it('no grant: 403; an active grant on the dataset: 302', async () => {
    const nobody = await app.user({ email: 'nobody@test.org' });
    expect((await download(nobody.token)).status).toBe(403);
    expect((await download(await holder({}))).status).toBe(302);
  });

  // The gate runs ahead of helmet and the request logger (api/app.ts) and sets its own few headers.
  it('the gate answers, redirect or refusal, with its request id and its headers', async () => {
    const nobody = await app.user({ email: 'nobody-headers@test.org' });
    for (const [res, status] of [
      [await download(await holder({})), 302],
      [await download(nobody.token), 403],
    ] as const) {
      expect(res.status).toBe(status);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      // The instance is plain http here: no HSTS.
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
    const ok = await download(await holder({}));
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.headers.get('vary')).toBe('Accept');
    expect(ok.headers.get('location')).toMatch(/X-Amz-Signature=/);
  });

  it.each([
    ['suspended', { status: 'suspended' as const }],
    ['revoked', { status: 'revoked' as const }],
    ['expired (status)', { status: 'expired' as const }],
    ['past its end time (no job has run)', { expiresAt: new Date(Date.now() - 1000) }],
    ['not started yet', { startsAt: new Date(Date.now() + day) }],
    ['for another dataset', { datasetId: undefined as never }],
  ])('a grant %s: 403', async (_label, state) => {
    const s = { ...state } as GrantState;
    if ('datasetId' in state) s.datasetId = otherDatasetId;
    expect((await download(await holder(s))).status).toBe(403);
  });

  it('a withdrawn licence version stops downloads at once', async () => {
    const token = await holder({});
    expect((await download(token)).status).toBe(302);
    const [lv2] = await app.database.db
      .insert(licenceVersions)
      .values({ datasetId, version: 102, base: 'custom', text: 'v2', status: 'withdrawn' })
      .returning();
    expect((await download(await holder({ licenceVersionId: lv2.id }))).status).toBe(403);
  });

  it.each([
    ['overdue', { status: 'overdue' as const }, 403],
    ['pending past its due date', { status: 'pending' as const, dueAt: new Date(Date.now() - 1000) }, 403],
    ['pending, not yet due', { status: 'pending' as const, dueAt: new Date(Date.now() + day) }, 302],
    ['fulfilled', { status: 'fulfilled' as const, dueAt: new Date(Date.now() - day) }, 302],
    ['waived', { status: 'waived' as const, dueAt: new Date(Date.now() - day) }, 302],
  ])('an obligation %s: %i', async (_label, obligation, status) => {
    expect((await download(await holder({}, { obligation }))).status).toBe(status);
  });

  it('release and file scopes cover only what they name', async () => {
    expect(
      await download(await holder({ scopeType: 'release', scopeIds: [gatedFile.releaseId] })),
    ).toHaveProperty('status', 302);
    expect(await download(await holder({ scopeType: 'release', scopeIds: [otherDatasetId] }))).toHaveProperty(
      'status',
      403,
    );
    expect(await download(await holder({ scopeType: 'file', scopeIds: [gatedFile.id] }))).toHaveProperty(
      'status',
      302,
    );
    expect(await download(await holder({ scopeType: 'file', scopeIds: [datasetId] }))).toHaveProperty(
      'status',
      403,
    );
  });

  it('a named team member is a grantee too', async () => {
    const token = await holder({});
    const member = await app.user({ email: 'team@test.org' });
    await app.database.db.insert(grantees).values({ grantId: lastGrantId, userId: member.id });
    expect((await download(member.token)).status).toBe(302);
    expect((await download(token)).status).toBe(302);
  });

  it('a grantee signed in with the browser session downloads too', async () => {
    const c = new CookieClient(app.url);
    await c.signIn('builder');
    const me = await (await c.fetch('/api/v1/me')).json();
    expect((await c.fetch(`/api/v1/files/${gatedFile.id}/download`)).status).toBe(403);
    await grantTo(me.user.id, { expiresAt: new Date(Date.now() + day) });
    expect((await c.fetch(`/api/v1/files/${gatedFile.id}/download`)).status).toBe(302);
  });

  it('token scopes still apply: a read-only token under an active grant cannot download', async () => {
    expect((await download(await holder({}, { scopes: ['read'] }))).status).toBe(403);
  });

  it('a platform admin without a role in the community is refused gated data', async () => {
    const admin = await app.user({ email: 'root@test.org', admin: true });
    const res = await download(admin.token);
    expect(res.status).toBe(403);
    expect((await res.json()).code).toBe('download_forbidden');
  });

  it('a withdrawn dataset stops downloads under an active grant (404: it is no longer visible)', async () => {
    const token = await holder({});
    expect((await download(token)).status).toBe(302);
    await app.database.db.update(datasets).set({ status: 'withdrawn' }).where(eq(datasets.id, datasetId));
    expect((await download(token)).status).toBe(404);
    await app.database.db.update(datasets).set({ status: 'published' }).where(eq(datasets.id, datasetId));
  });
});
