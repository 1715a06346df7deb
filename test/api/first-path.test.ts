import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, files } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('the first path: admin → community → steward publishes → anyone downloads', () => {
  let app: TestApp;
  let admin: { token: string };
  let steward: { id: string; token: string };
  const bytes = Buffer.from('word,gloss\nkai,food\nwai,water\n');
  let fileId: string;

  beforeAll(async () => {
    app = await startTestApp();
    admin = await app.user({ email: 'admin@test.org', admin: true });
  });
  afterAll(() => app?.stop());

  const actions = async () =>
    (await app.database.db.select({ action: auditEvents.action }).from(auditEvents)).map((e) => e.action);

  it('an admin creates a community and names its steward', async () => {
    const res = await app.api('/communities', {
      method: 'POST',
      token: admin.token,
      json: { slug: 'river-people', name: 'River People', stewardEmail: 'steward@test.org' },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ slug: 'river-people', name: 'River People' });
    steward = await app.user({ email: 'steward@test.org' });
    expect(await actions()).toEqual(expect.arrayContaining(['community.created', 'member.added']));
  });

  it('the steward adds a reviewer and lists the members; others may not list them', async () => {
    const members = (token?: string) => app.api('/communities/river-people/members', { token });
    const added = await app.api('/communities/river-people/members', {
      method: 'POST',
      token: steward.token,
      json: { email: 'reviewer@test.org', role: 'reviewer', name: 'Rowan Reviewer' },
    });
    expect(added.status).toBe(201);
    const res = await members(steward.token);
    expect(res.status).toBe(200);
    const { items } = await res.json();
    expect(items.map((m: { email: string; role: string }) => [m.role, m.email])).toEqual([
      ['steward', 'steward@test.org'],
      ['reviewer', 'reviewer@test.org'],
    ]);
    expect(items[1]).toMatchObject({ name: 'Rowan Reviewer', since: expect.stringMatching(/^\d{4}-/) });
    // The admin appoints stewards, so sees them; a reviewer of the community and an outsider do not.
    expect((await members(admin.token)).status).toBe(200);
    const reviewer = await app.user({ email: 'reviewer@test.org' });
    const outsider = await app.user({ email: 'someone@test.org' });
    for (const token of [reviewer.token, outsider.token]) {
      const r = await members(token);
      expect(r.status).toBe(403);
      expect((await r.json()).code).toBe('forbidden');
    }
    expect((await members()).status).toBe(401);
    expect((await app.api('/communities/no-such/members', { token: steward.token })).status).toBe(404);
  });

  it('a user without the admin role may not create communities', async () => {
    const res = await app.api('/communities', {
      method: 'POST',
      token: steward.token,
      json: { slug: 'x', name: 'X' },
    });
    expect(res.status).toBe(403);
    expect((await res.json()).code).toBe('forbidden');
  });

  it('the steward creates a draft dataset that outsiders cannot see', async () => {
    const res = await app.api('/datasets', {
      method: 'POST',
      token: steward.token,
      json: {
        community: 'river-people',
        slug: 'river-words',
        title: 'River words',
        summary: 'Words',
        tier: 'open',
      },
    });
    expect(res.status).toBe(201);
    const d = await res.json();
    expect(d).toMatchObject({
      slug: 'river-words',
      status: 'draft',
      tier: 'open',
      can: { update: true, publish: true },
    });
    expect((await app.api('/datasets/river-words')).status).toBe(404);
    const list = await (await app.api('/datasets')).json();
    expect(list.items.map((i: { slug: string }) => i.slug)).not.toContain('river-words');
  });

  it('the steward creates a release, registers a file and uploads it through the signed PUT', async () => {
    expect(
      (
        await app.api('/datasets/river-words/releases', {
          method: 'POST',
          token: steward.token,
          json: { tag: 'v1' },
        })
      ).status,
    ).toBe(201);
    const reg = await app.api('/datasets/river-words/releases/v1/files', {
      method: 'POST',
      token: steward.token,
      json: { name: 'words.csv', size: bytes.length, sha256: sha(bytes), mediaType: 'text/csv' },
    });
    expect(reg.status).toBe(201);
    const f = await reg.json();
    expect(f).toMatchObject({ name: 'words.csv', status: 'pending', upload: { method: 'PUT' } });
    fileId = f.id;
    // Not downloadable before it is verified, even by its steward.
    expect((await app.api(`/files/${fileId}/download`, { token: steward.token })).status).toBe(409);
    const put = await fetch(f.upload.url, { method: 'PUT', headers: f.upload.headers, body: bytes });
    expect(put.status).toBe(200);
    const done = await app.api(`/files/${fileId}/complete`, { method: 'POST', token: steward.token });
    expect(done.status).toBe(200);
    expect((await done.json()).status).toBe('available');
  });

  it('a stored object that does not match its size or SHA-256 is 422 and the file stays unusable', async () => {
    const other = Buffer.from('the real bytes');
    const registered = Buffer.from('the real bytez');
    const reg = await (
      await app.api('/datasets/river-words/releases/v1/files', {
        method: 'POST',
        token: steward.token,
        json: {
          name: 'other.txt',
          size: registered.length,
          sha256: sha(registered),
          mediaType: 'text/plain',
        },
      })
    ).json();
    await fetch(reg.upload.url, { method: 'PUT', headers: reg.upload.headers, body: other });
    const res = await app.api(`/files/${reg.id}/complete`, { method: 'POST', token: steward.token });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({
      code: 'checksum_mismatch',
      expected: sha(registered),
      actual: sha(other),
    });
    const [row] = await app.database.db.select().from(files).where(eq(files.id, reg.id));
    expect(row.status).toBe('failed');
    expect((await app.api(`/files/${reg.id}/download`, { token: steward.token })).status).toBe(409);

    // A size mismatch is caught before hashing.
    const short = await (
      await app.api('/datasets/river-words/releases/v1/files', {
        method: 'POST',
        token: steward.token,
        json: { name: 'short.txt', size: 100, sha256: sha('x'.repeat(100)), mediaType: 'text/plain' },
      })
    ).json();
    await fetch(short.upload.url, { method: 'PUT', headers: short.upload.headers, body: 'x' });
    const r2 = await app.api(`/files/${short.id}/complete`, { method: 'POST', token: steward.token });
    expect(r2.status).toBe(422);
    expect((await r2.json()).code).toBe('size_mismatch');

    // A release with unusable files cannot be published.
    const pub = await app.api('/datasets/river-words/releases/v1/publish', {
      method: 'POST',
      token: steward.token,
    });
    expect(pub.status).toBe(409);
    expect((await pub.json()).code).toBe('release_incomplete');

    // The steward re-uploads the right bytes through a fresh signed PUT; now it verifies.
    const up = await (
      await app.api(`/files/${reg.id}/upload`, { method: 'POST', token: steward.token })
    ).json();
    await fetch(up.upload.url, { method: 'PUT', headers: up.upload.headers, body: registered });
    expect(
      (await app.api(`/files/${reg.id}/complete`, { method: 'POST', token: steward.token })).status,
    ).toBe(200);
  });

  it('publishes the release (then immutable) and the dataset', async () => {
    // v1 still holds the failed short.txt; v2 holds only verified files.
    await app.api('/datasets/river-words/releases', {
      method: 'POST',
      token: steward.token,
      json: { tag: 'v2' },
    });
    const reg = await (
      await app.api('/datasets/river-words/releases/v2/files', {
        method: 'POST',
        token: steward.token,
        json: { name: 'words.csv', size: bytes.length, sha256: sha(bytes), mediaType: 'text/csv' },
      })
    ).json();
    await fetch(reg.upload.url, { method: 'PUT', headers: reg.upload.headers, body: bytes });
    await app.api(`/files/${reg.id}/complete`, { method: 'POST', token: steward.token });
    fileId = reg.id;
    const pub = await app.api('/datasets/river-words/releases/v2/publish', {
      method: 'POST',
      token: steward.token,
    });
    expect(pub.status).toBe(200);
    expect((await pub.json()).status).toBe('published');
    const again = await app.api('/datasets/river-words/releases/v2/files', {
      method: 'POST',
      token: steward.token,
      json: { name: 'late.csv', size: 1, sha256: sha('x'), mediaType: 'text/csv' },
    });
    expect(again.status).toBe(409);
    expect((await again.json()).code).toBe('release_immutable');
    const ds = await app.api('/datasets/river-words/publish', { method: 'POST', token: steward.token });
    expect(ds.status).toBe(200);
    expect((await ds.json()).status).toBe('published');
  });

  it('anyone lists the catalog, opens the dataset page and downloads the bytes', async () => {
    const list = await (await app.api('/datasets')).json();
    expect(list.items.map((i: { slug: string }) => i.slug)).toContain('river-words');
    const page = await (await app.api('/datasets/river-words')).json();
    const v2 = page.releases.find((r: { tag: string }) => r.tag === 'v2');
    expect(v2.files).toEqual([
      expect.objectContaining({ id: fileId, name: 'words.csv', sha256: sha(bytes), can: { download: true } }),
    ]);
    // The draft release v1 is the steward's business only.
    expect(page.releases.map((r: { tag: string }) => r.tag)).toEqual(['v2']);

    const before = (await actions()).filter((a) => a === 'download.issued').length;
    const res = await app.api(`/files/${fileId}/download`);
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location).toContain('X-Amz-Signature=');
    expect(location).toContain('X-Amz-Expires=300');
    // The event is committed before the URL is handed out.
    const events = await app.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'download.issued'), eq(auditEvents.subjectId, fileId)));
    expect(events.length).toBe(before + 1);
    expect(events[0]).toMatchObject({
      actorType: 'anonymous',
      subjectType: 'File',
      details: { sha256: sha(bytes), tier: 'open' },
    });
    expect(events[0].actorIpHash).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const got = Buffer.from(await (await fetch(location)).arrayBuffer());
    expect(sha(got)).toBe(sha(bytes));

    const json = await app.api(`/files/${fileId}/download`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({
      sha256: sha(bytes),
      size: bytes.length,
      url: expect.stringContaining('X-Amz-Signature='),
    });
  });

  it('a tampered signed URL is refused by the store', async () => {
    const { url } = await (
      await app.api(`/files/${fileId}/download`, { headers: { accept: 'application/json' } })
    ).json();
    const tampered = url.replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_m: string, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
    );
    expect((await fetch(tampered)).status).toBe(403);
  });

  it('every act above left its audit event', async () => {
    expect(await actions()).toEqual(
      expect.arrayContaining([
        'community.created',
        'member.added',
        'dataset.created',
        'release.created',
        'file.registered',
        'file.completed',
        'file.verification_failed',
        'release.published',
        'dataset.published',
        'download.issued',
      ]),
    );
  });

  it('a closed dataset and a withdrawn dataset answer 404 to outsiders, not to their steward', async () => {
    await app.api('/datasets', {
      method: 'POST',
      token: steward.token,
      json: { community: 'river-people', slug: 'sacred-sites', title: 'Sacred sites', tier: 'closed' },
    });
    await app.api('/datasets/sacred-sites/publish', { method: 'POST', token: steward.token });
    const outsider = await app.user({ email: 'builder@test.org' });
    expect((await app.api('/datasets/sacred-sites')).status).toBe(404);
    expect((await app.api('/datasets/sacred-sites', { token: outsider.token })).status).toBe(404);
    expect((await app.api('/datasets/sacred-sites', { token: steward.token })).status).toBe(200);

    expect(
      (await app.api('/datasets/river-words/withdraw', { method: 'POST', token: steward.token })).status,
    ).toBe(200);
    expect((await app.api('/datasets/river-words')).status).toBe(404);
    // Its files stop at once: no new signed URL for a withdrawn dataset.
    expect((await app.api(`/files/${fileId}/download`)).status).toBe(404);
    expect((await app.api(`/files/${fileId}/download`, { token: outsider.token })).status).toBe(404);
  });

  it('serves the web app for client-side routes, with a strict Content-Security-Policy', async () => {
    const res = await fetch(`${app.url}/datasets/river-words`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')*;/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-eval');
    const api = await app.api('/health');
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('the audit log refuses UPDATE and DELETE', async () => {
    await expect(app.database.db.delete(auditEvents)).rejects.toThrow();
    await expect(app.database.db.update(auditEvents).set({ action: 'forged' })).rejects.toThrow();
  });
});
