import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, grantees, grants, licenceVersions, obligations } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { publishRelease, sha256 } from '../helpers/publish.ts';

interface ManifestFile {
  id: string;
  name: string;
  size: number;
  sha256: string;
  mediaType: string;
  url: string;
  expiresAt: string;
}
interface Manifest {
  dataset: { slug: string };
  release: { tag: string };
  files: ManifestFile[];
  withheld: { id: string; name: string; tier: string; reason: string; message: string }[];
}

const day = 86_400_000;

/** `GET /datasets/:slug/releases/:tag/manifest` (API.md): what the caller may download, and why not the rest. */
describe('the release manifest', () => {
  let app: TestApp;
  let steward: { id: string; token: string };
  let builder: { id: string; token: string };
  const ids: Record<string, string> = {};
  let gatedDatasetId: string;
  let licenceId: string;

  const manifest = (path: string, token?: string) => app.api(`/datasets/${path}/manifest`, { token });
  const json = async (path: string, token?: string) => {
    const res = await manifest(path, token);
    expect(res.status).toBe(200);
    return (await res.json()) as Manifest;
  };
  const names = (m: Manifest) => m.files.map((f) => f.name);
  const reasons = (m: Manifest) => Object.fromEntries(m.withheld.map((w) => [w.name, w.reason]));

  beforeAll(async () => {
    app = await startTestApp();
    steward = await app.community('m-people', 'steward@test.org', 'M People');
    builder = await app.user({ email: 'builder@test.org' });
    const pub = (
      slug: string,
      tier: 'open' | 'registered' | 'gated' | 'closed',
      tag: string,
      files: Parameters<typeof publishRelease>[2]['files'],
      more = {},
    ) =>
      publishRelease(app.api, steward.token, { community: 'm-people', slug, tier, tag, files, ...more }).then(
        (r) => Object.assign(ids, r.ids),
      );
    await pub('m-open', 'open', 'v1', [
      { name: 'a.csv', body: 'a,b\n1,2\n', mediaType: 'text/csv' },
      { name: 'b.csv', body: 'c,d\n3,4\n', mediaType: 'text/csv' },
    ]);
    await pub('m-open', 'open', 'v2', [{ name: 'c.csv', body: 'e,f\n5,6\n', mediaType: 'text/csv' }]);
    await pub('m-open', 'open', 'v3', [{ name: 'draft.csv', body: 'draft\n' }], { publishRelease: false });
    await pub('m-registered', 'registered', 'v1', [{ name: 'readings.csv', body: 'r\n1\n' }]);
    await pub('m-gated', 'gated', 'v1', [
      { name: 'sample.txt', body: 'a sample\n', tier: 'open' },
      { name: 'data.bin', body: Buffer.alloc(4096, 7) },
      { name: 'notes.txt', body: 'notes\n' },
    ]);
    await pub('m-closed', 'closed', 'v1', [{ name: 'secret.bin', body: 'secret' }]);
    await pub('m-draft', 'open', 'v1', [{ name: 'x.csv', body: 'x' }], { publishDataset: false });
    const page = await (await app.api('/datasets/m-gated')).json();
    gatedDatasetId = page.id;
    const [lv] = await app.database.db
      .insert(licenceVersions)
      .values({ datasetId: gatedDatasetId, version: 101, base: 'CC-BY-NC-4.0', text: 'Research only.' })
      .returning();
    licenceId = lv.id;
  });
  afterAll(() => app?.stop());

  /** A grant on the gated dataset held by a new user, inserted directly (no request endpoints yet). */
  async function holder(
    state: Partial<typeof grants.$inferInsert> = {},
    opts: { scopes?: string[]; obligation?: Partial<typeof obligations.$inferInsert> } = {},
  ) {
    const u = await app.user({
      email: `h${Math.random().toString(36).slice(2)}@test.org`,
      scopes: opts.scopes,
    });
    const [g] = await app.database.db
      .insert(grants)
      .values({
        datasetId: gatedDatasetId,
        kind: 'request',
        licenceVersionId: licenceId,
        expiresAt: new Date(Date.now() + 30 * day),
        ...state,
      })
      .returning();
    await app.database.db.insert(grantees).values({ grantId: g.id, userId: u.id });
    if (opts.obligation)
      await app.database.db
        .insert(obligations)
        .values({ grantId: g.id, kind: 'report-use', timing: 'after-grant', ...opts.obligation });
    return u;
  }

  const issued = async (fileId: string) =>
    app.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'download.issued'), eq(auditEvents.subjectId, fileId)));

  it('open release, anonymous: every file with a signed URL that serves its bytes, each with its event', async () => {
    const before = (await issued(ids['a.csv'])).length;
    const m = await json('m-open/releases/v1');
    expect(m.dataset.slug).toBe('m-open');
    expect(m.release.tag).toBe('v1');
    expect(names(m)).toEqual(['a.csv', 'b.csv']);
    expect(m.withheld).toEqual([]);
    for (const f of m.files) {
      expect(f).toMatchObject({ id: ids[f.name], mediaType: 'text/csv' });
      expect(Date.parse(f.expiresAt)).toBeGreaterThan(Date.now());
      const got = Buffer.from(await (await fetch(f.url)).arrayBuffer());
      expect(got.length).toBe(f.size);
      expect(sha256(got)).toBe(f.sha256);
      const events = await issued(f.id);
      expect(events.at(-1)).toMatchObject({ actorType: 'anonymous', datasetId: expect.any(String) });
    }
    expect((await issued(ids['a.csv'])).length).toBe(before + 1);
    expect((await manifest('m-open/releases/v1')).headers.get('cache-control')).toBe('no-store');
  });

  it('latest is the newest published release; a draft release and unknown tags are 404', async () => {
    expect(names(await json('m-open/releases/latest'))).toEqual(['c.csv']);
    expect((await manifest('m-open/releases/v3')).status).toBe(404);
    expect((await manifest('m-open/releases/v3', builder.token)).status).toBe(404);
    expect((await manifest('m-open/releases/v9')).status).toBe(404);
    expect((await manifest('m-open/releases/..')).status).toBe(404);
  });

  it('a closed or unpublished dataset is 404 for outsiders, with no download event', async () => {
    for (const path of ['m-closed/releases/v1', 'm-closed/releases/latest', 'm-draft/releases/v1']) {
      const res = await manifest(path, builder.token);
      expect(res.status).toBe(404);
      expect((await res.json()).code).toMatch(/_not_found$/);
    }
    expect(await issued(ids['secret.bin'])).toEqual([]);
    expect(await issued(ids['x.csv'])).toEqual([]);
  });

  it('the steward gets their own draft release (logged like any download)', async () => {
    const m = await json('m-open/releases/v3', steward.token);
    expect(names(m)).toEqual(['draft.csv']);
    expect((await issued(ids['draft.csv'])).at(-1)).toMatchObject({
      actorId: steward.id,
      actorType: 'token',
    });
  });

  it('registered, no click-through: withheld with accept_licence; anonymous: sign_in', async () => {
    const m = await json('m-registered/releases/v1', builder.token);
    expect(m.files).toEqual([]);
    expect(m.withheld).toEqual([
      expect.objectContaining({
        id: ids['readings.csv'],
        name: 'readings.csv',
        tier: 'registered',
        reason: 'accept_licence',
      }),
    ]);
    expect(m.withheld[0].message).toMatch(/licence/);
    expect(reasons(await json('m-registered/releases/v1'))).toEqual({ 'readings.csv': 'sign_in' });
    expect(await issued(ids['readings.csv'])).toEqual([]);
  });

  it('gated without a grant: the open sample only, the rest withheld with request_access', async () => {
    const m = await json('m-gated/releases/v1', builder.token);
    expect(names(m)).toEqual(['sample.txt']);
    expect(reasons(m)).toEqual({ 'data.bin': 'request_access', 'notes.txt': 'request_access' });
    expect(await issued(ids['data.bin'])).toEqual([]);
  });

  it('gated with a grant in force: every file, each URL serving the registered bytes', async () => {
    const u = await holder();
    const m = await json('m-gated/releases/v1', u.token);
    expect(names(m)).toEqual(['data.bin', 'notes.txt', 'sample.txt']);
    expect(m.withheld).toEqual([]);
    for (const f of m.files) {
      const got = Buffer.from(await (await fetch(f.url)).arrayBuffer());
      expect(sha256(got)).toBe(f.sha256);
      expect((await issued(f.id)).filter((e) => e.actorId === u.id)).toHaveLength(1);
    }
  });

  it('?files= narrows the manifest to the files named (one event each)', async () => {
    const u = await holder();
    const res = await app.api(`/datasets/m-gated/releases/v1/manifest?files=${ids['notes.txt']}`, {
      token: u.token,
    });
    const m = (await res.json()) as Manifest;
    expect(names(m)).toEqual(['notes.txt']);
    expect((await issued(ids['data.bin'])).filter((e) => e.actorId === u.id)).toEqual([]);
    const bad = await app.api('/datasets/m-gated/releases/v1/manifest?files=nope', { token: u.token });
    expect(bad.status).toBe(400);
  });

  it.each([
    ['suspended', 'grant_suspended', { status: 'suspended' as const }, {}],
    ['revoked', 'grant_revoked', { status: 'revoked' as const }, {}],
    ['past its end', 'grant_expired', { expiresAt: new Date(Date.now() - 1000) }, {}],
    ['not started', 'grant_not_started', { startsAt: new Date(Date.now() + day) }, {}],
    ['with an overdue obligation', 'obligation_overdue', {}, { obligation: { status: 'overdue' as const } }],
    [
      'with a pending obligation past its due date',
      'obligation_overdue',
      {},
      { obligation: { status: 'pending' as const, dueAt: new Date(Date.now() - 1000) } },
    ],
  ])('a grant %s: withheld (%s)', async (_label, reason, state, opts) => {
    const u = await holder(state, opts);
    const m = await json('m-gated/releases/v1', u.token);
    expect(reasons(m)).toEqual({ 'data.bin': reason, 'notes.txt': reason });
    expect((await issued(ids['data.bin'])).filter((e) => e.actorId === u.id)).toEqual([]);
  });

  it('a grant under a withdrawn licence version: withheld (licence_withdrawn)', async () => {
    const [lv] = await app.database.db
      .insert(licenceVersions)
      .values({ datasetId: gatedDatasetId, version: 102, base: 'custom', text: 'v2', status: 'withdrawn' })
      .returning();
    const u = await holder({ licenceVersionId: lv.id });
    const m = await json('m-gated/releases/v1', u.token);
    expect(reasons(m)).toEqual({ 'data.bin': 'licence_withdrawn', 'notes.txt': 'licence_withdrawn' });
  });

  it('a grant in force but a read-only token: everything withheld with token_scope, open files too', async () => {
    const u = await holder({}, { scopes: ['read'] });
    const m = await json('m-gated/releases/v1', u.token);
    expect(m.files).toEqual([]);
    expect(reasons(m)).toEqual({
      'data.bin': 'token_scope',
      'notes.txt': 'token_scope',
      'sample.txt': 'token_scope',
    });
  });

  it('a grant on one file: that file, the other withheld as outside the grant', async () => {
    const u = await holder({ scopeType: 'file', scopeIds: [ids['data.bin']] });
    const m = await json('m-gated/releases/v1', u.token);
    expect(names(m)).toEqual(['data.bin', 'sample.txt']);
    expect(reasons(m)).toEqual({ 'notes.txt': 'outside_grant_scope' });
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await (await app.api('/openapi.json')).json();
    expect(doc.paths['/datasets/{slug}/releases/{tag}/manifest'].get).toBeDefined();
  });
});
