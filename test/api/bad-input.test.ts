import { count } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, communities, datasets, files, releases } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/** Every bad input is a 4xx problem+json with a stable code, never a 500, and nothing is half-written. */
describe('bad input', () => {
  let app: TestApp;
  let admin: { token: string };
  let steward: { token: string };

  beforeAll(async () => {
    app = await startTestApp();
    admin = await app.user({ email: 'admin@test.org', admin: true });
    await app.api('/communities', {
      method: 'POST',
      token: admin.token,
      json: { slug: 'c1', name: 'C1', stewardEmail: 's@test.org' },
    });
    steward = await app.user({ email: 's@test.org' });
    await app.api('/datasets', {
      method: 'POST',
      token: steward.token,
      json: { community: 'c1', slug: 'd1', title: 'D1' },
    });
    await app.api('/datasets/d1/releases', { method: 'POST', token: steward.token, json: { tag: 'v1' } });
  });
  afterAll(() => app?.stop());

  const counts = async () => {
    const db = app.database.db;
    const n = async (t: PgTable) => (await db.select({ n: count() }).from(t))[0].n;
    return {
      communities: await n(communities),
      datasets: await n(datasets),
      releases: await n(releases),
      files: await n(files),
      audit: await n(auditEvents),
    };
  };

  const expectProblem = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = await res.json();
    expect(body).toMatchObject({ status, code });
    expect(typeof body.requestId).toBe('string');
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
    return body;
  };

  it('malformed JSON is 400 malformed_json', async () => {
    const before = await counts();
    const res = await app.api('/datasets', {
      method: 'POST',
      token: steward.token,
      headers: { 'content-type': 'application/json' },
      body: '{"community": "c1", "slug": ',
    });
    await expectProblem(res, 400, 'malformed_json');
    expect(await counts()).toEqual(before);
  });

  it('missing and wrong-typed fields are 400 validation_failed, naming each field', async () => {
    const before = await counts();
    const body = await expectProblem(
      await app.api('/datasets', {
        method: 'POST',
        token: steward.token,
        json: { community: 'c1', slug: 42, tier: 'secret' },
      }),
      400,
      'validation_failed',
    );
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['slug', 'tier', 'title']);
    await expectProblem(
      await app.api('/datasets', { method: 'POST', token: steward.token, json: [] }),
      400,
      'validation_failed',
    );
    await expectProblem(
      await app.api('/datasets', { method: 'POST', token: steward.token }),
      400,
      'validation_failed',
    );
    await expectProblem(
      await app.api('/datasets', {
        method: 'POST',
        token: steward.token,
        json: { community: 'c1', slug: 'Bad Slug!', title: 'x' },
      }),
      400,
      'validation_failed',
    );
    await expectProblem(
      await app.api('/datasets', {
        method: 'POST',
        token: steward.token,
        json: { community: 'c1', slug: 'ok', title: 'x', extra: 1 },
      }),
      400,
      'validation_failed',
    );
    await expectProblem(
      await app.api('/tokens', {
        method: 'POST',
        token: steward.token,
        json: { name: 'x', scopes: ['root'] },
      }),
      400,
      'validation_failed',
    );
    await expectProblem(await app.api('/datasets?limit=abc'), 400, 'validation_failed');
    await expectProblem(await app.api('/datasets?cursor=not-a-cursor'), 400, 'invalid_cursor');
    expect(await counts()).toEqual(before);
  });

  it('unknown ids and slugs are 404 with a stable code', async () => {
    await expectProblem(await app.api('/datasets/no-such-thing'), 404, 'dataset_not_found');
    await expectProblem(await app.api('/communities/no-such-thing'), 404, 'community_not_found');
    await expectProblem(
      await app.api('/files/00000000-0000-4000-8000-000000000000/download'),
      404,
      'file_not_found',
    );
    await expectProblem(
      await app.api('/files/00000000-0000-4000-8000-000000000000/complete', {
        method: 'POST',
        token: steward.token,
      }),
      404,
      'file_not_found',
    );
    await expectProblem(await app.api('/files/not-a-uuid/download'), 400, 'validation_failed');
    await expectProblem(
      await app.api('/datasets/d1/releases/v9/files', {
        method: 'POST',
        token: steward.token,
        json: { name: 'a.txt', size: 1, sha256: 'a'.repeat(64), mediaType: 'text/plain' },
      }),
      404,
      'release_not_found',
    );
    await expectProblem(
      await app.api('/datasets', {
        method: 'POST',
        token: steward.token,
        json: { community: 'nope', slug: 'x1', title: 'x' },
      }),
      404,
      'community_not_found',
    );
    await expectProblem(await app.api('/no/such/route'), 404, 'route_not_found');
  });

  it('oversized bodies are 413 body_too_large', async () => {
    const before = await counts();
    await expectProblem(
      await app.api('/datasets', {
        method: 'POST',
        token: steward.token,
        json: { community: 'c1', slug: 'big', title: 'big', description: 'x'.repeat(200_000) },
      }),
      413,
      'body_too_large',
    );
    expect(await counts()).toEqual(before);
  });

  it('path tricks in file names are refused; storage keys are server-made', async () => {
    const before = await counts();
    for (const name of ['../../etc/passwd', 'a/b.txt', '..', '.', 'x\\y', 'nul\u0000byte', ' lead', '']) {
      await expectProblem(
        await app.api('/datasets/d1/releases/v1/files', {
          method: 'POST',
          token: steward.token,
          json: { name, size: 1, sha256: 'a'.repeat(64), mediaType: 'text/plain' },
        }),
        400,
        'validation_failed',
      );
    }
    expect(await counts()).toEqual(before);
    const ok = await app.api('/datasets/d1/releases/v1/files', {
      method: 'POST',
      token: steward.token,
      json: { name: 'données (1).csv', size: 1, sha256: 'A'.repeat(64), mediaType: 'Text/CSV' },
    });
    expect(ok.status).toBe(201);
    const f = await ok.json();
    expect(f).toMatchObject({ name: 'données (1).csv', sha256: 'a'.repeat(64), mediaType: 'text/csv' });
    const [row] = await app.database.db.select().from(files);
    expect(row.storageKey).toMatch(/^datasets\/[0-9a-f-]{36}\/releases\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
  });

  it('bad sizes, digests and media types are 400', async () => {
    for (const body of [
      { name: 'a', size: -1, sha256: 'a'.repeat(64), mediaType: 'text/plain' },
      { name: 'a', size: 1.5, sha256: 'a'.repeat(64), mediaType: 'text/plain' },
      // Over 5 TiB, the largest S3 object (up to it a file uploads in parts).
      { name: 'a', size: 6 * 1024 ** 4, sha256: 'a'.repeat(64), mediaType: 'text/plain' },
      { name: 'a', size: '1', sha256: 'a'.repeat(64), mediaType: 'text/plain' },
      { name: 'a', size: 1, sha256: 'xyz', mediaType: 'text/plain' },
      { name: 'a', size: 1, sha256: 'a'.repeat(64), mediaType: 'not a type' },
    ]) {
      await expectProblem(
        await app.api('/datasets/d1/releases/v1/files', { method: 'POST', token: steward.token, json: body }),
        400,
        'validation_failed',
      );
    }
  });

  it('duplicates are 409 with a stable code and change nothing', async () => {
    const before = await counts();
    await expectProblem(
      await app.api('/communities', {
        method: 'POST',
        token: admin.token,
        json: { slug: 'c1', name: 'Again' },
      }),
      409,
      'community_exists',
    );
    await expectProblem(
      await app.api('/datasets', {
        method: 'POST',
        token: steward.token,
        json: { community: 'c1', slug: 'd1', title: 'Again' },
      }),
      409,
      'dataset_exists',
    );
    await expectProblem(
      await app.api('/datasets/d1/releases', { method: 'POST', token: steward.token, json: { tag: 'v1' } }),
      409,
      'release_exists',
    );
    expect(await counts()).toEqual(before);
  });

  it('a community created with an invalid steward e-mail writes nothing at all', async () => {
    const before = await counts();
    await expectProblem(
      await app.api('/communities', {
        method: 'POST',
        token: admin.token,
        json: { slug: 'c2', name: 'C2', stewardEmail: 'not-an-email' },
      }),
      400,
      'validation_failed',
    );
    expect(await counts()).toEqual(before);
  });

  it('anonymous writes are 401, not 500', async () => {
    await expectProblem(
      await app.api('/datasets', { method: 'POST', json: { community: 'c1', slug: 'x', title: 'x' } }),
      401,
      'unauthenticated',
    );
    await expectProblem(await app.api('/tokens'), 401, 'unauthenticated');
  });
});

describe('the OpenAPI document', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it('is served as OpenAPI 3.1 with the request schemas the API validates with', async () => {
    const doc = await (await app.api('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.license.identifier).toBe('EUPL-1.2');
    const reg =
      doc.paths['/datasets/{slug}/releases/{tag}/files'].post.requestBody.content['application/json'].schema;
    expect(reg.required).toEqual(expect.arrayContaining(['name', 'size', 'sha256']));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/files/{id}/download', '/tokens', '/datasets']),
    );
  });
});
