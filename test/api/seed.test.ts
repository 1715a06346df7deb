import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../api/seed/seed.service.ts';
import { auditEvents } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

describe('the demo seed and the token scopes on a real download', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
  });
  afterAll(() => app?.stop());

  const openFile = async () => {
    const d = await (await app.api('/datasets/demo-oral-histories')).json();
    return d.releases[0].files as { id: string; name: string; tier: string; can: { download: boolean } }[];
  };

  it('seeds a demo community with datasets on first start, and never again', async () => {
    expect(app.seeded).toBe(true);
    const list = await (await app.api('/datasets')).json();
    expect(list.items.length).toBeGreaterThanOrEqual(3);
    expect(list.items[0].community.slug).toBe('demo-collective');
    // The seed is an act like any other: every row it made has its audit event.
    const events = await app.database.db
      .select({ action: auditEvents.action, actorType: auditEvents.actorType })
      .from(auditEvents);
    const count = (a: string) => events.filter((e) => e.action === a).length;
    expect(count('dataset.created')).toBe(3);
    expect(count('dataset.published')).toBe(3);
    expect(count('release.published')).toBe(3);
    expect(count('file.completed')).toBe(4);
    expect(events.every((e) => e.actorType === 'system')).toBe(true);
    expect(await seedDemo(app.database.db, app.store)).toBe(false);
    expect((await (await app.api('/datasets')).json()).items.length).toBe(list.items.length);
  });

  it('an open sample inside a gated dataset downloads anonymously; the gated file does not', async () => {
    const files = await openFile();
    const sample = files.find((f) => f.name === 'sample.txt')!;
    const gated = files.find((f) => f.name === 'transcripts.txt')!;
    expect(sample).toMatchObject({ tier: 'open', can: { download: true } });
    expect(gated).toMatchObject({ tier: 'gated', can: { download: false } });
    expect((await app.api(`/files/${sample.id}/download`)).status).toBe(302);
    const anon = await app.api(`/files/${gated.id}/download`);
    expect(anon.status).toBe(401);
    const builder = await app.user({ email: 'someone@test.org' });
    const signedIn = await app.api(`/files/${gated.id}/download`, { token: builder.token });
    expect(signedIn.status).toBe(403);
    expect((await signedIn.json()).code).toBe('download_forbidden');
  });

  it('token scopes cut down what a token may do: `read` cannot download, `download` can', async () => {
    const sample = (await openFile()).find((f) => f.name === 'sample.txt')!;
    const reader = await app.user({ email: 'reader@test.org', scopes: ['read'] });
    const r = await app.api(`/files/${sample.id}/download`, { token: reader.token });
    expect(r.status).toBe(403);
    const downloader = await app.user({ email: 'downloader@test.org', scopes: ['read', 'download'] });
    expect((await app.api(`/files/${sample.id}/download`, { token: downloader.token })).status).toBe(302);
    // Without the `manage` scope a steward's token cannot change datasets.
    const steward = await app.user({ email: 'steward@example.org', scopes: ['read', 'download'] });
    const patch = await app.api('/datasets/demo-word-list', {
      method: 'PATCH',
      token: steward.token,
      json: { title: 'x' },
    });
    expect(patch.status).toBe(403);
  });
});

describe('signed URLs expire', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true', SIGNED_URL_TTL_SECONDS: '1' });
  });
  afterAll(() => app?.stop());

  it('after SIGNED_URL_TTL_SECONDS the store refuses the URL', async () => {
    const page = await (await app.api('/datasets/demo-word-list')).json();
    const { url } = await (
      await app.api(`/files/${page.releases[0].files[0].id}/download`, {
        headers: { accept: 'application/json' },
      })
    ).json();
    expect(url).toContain('X-Amz-Expires=1');
    expect((await fetch(url)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await fetch(url)).status).toBe(403);
  });
});
