import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/** Downloads are limited per caller, counted in PostgreSQL (so every api process shares the count). */
describe('download rate limit', () => {
  let app: TestApp;
  let fileId: string;
  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true', DOWNLOAD_RATE_LIMIT: '3' });
    const page = await (await app.api('/datasets/demo-word-list')).json();
    fileId = page.releases[0].files[0].id;
  });
  afterAll(() => app?.stop());

  const issued = () =>
    app.database.db.$count(
      auditEvents,
      and(eq(auditEvents.action, 'download.issued'), eq(auditEvents.subjectId, fileId)),
    );

  it('answers 429 past the limit, with Retry-After, no URL and no download event; other callers are not affected', async () => {
    for (let i = 0; i < 3; i++) expect((await app.api(`/files/${fileId}/download`)).status).toBe(302);
    const over = await app.api(`/files/${fileId}/download`, { headers: { accept: 'application/json' } });
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('60');
    expect(over.headers.get('location')).toBeNull();
    const body = await over.json();
    expect(body.code).toBe('rate_limited');
    expect(body.url).toBeUndefined();
    expect(await issued()).toBe(3);

    // A token is its own caller.
    const { token } = await app.user({ email: 'limited@test.org' });
    for (let i = 0; i < 3; i++)
      expect((await app.api(`/files/${fileId}/download`, { token })).status).toBe(302);
    expect((await app.api(`/files/${fileId}/download`, { token })).status).toBe(429);
    expect(await issued()).toBe(6);
  });

  it('a manifest counts every signed URL it would issue against the same limit', async () => {
    // The steward may download both files of the gated release: 2 URLs per manifest.
    const { token } = await app.user({ email: 'steward@example.org' });
    const manifest = () => app.api('/datasets/demo-oral-histories/releases/v1/manifest', { token });
    const first = await manifest();
    expect(first.status).toBe(200);
    expect((await first.json()).files).toHaveLength(2);
    const second = await manifest(); // 2 + 2 > 3
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('60');
    expect((await second.json()).files).toBeUndefined();
    expect((await app.api(`/files/${fileId}/download`, { token })).status).toBe(429);
  });
});
