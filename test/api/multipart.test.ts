import { createHash, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, files } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 ** 2;

interface Part {
  partNumber: number;
  url: string;
}
interface Registered {
  id: string;
  status: string;
  upload: { method: string; partSize: number; parts: Part[]; url?: string; headers?: Record<string, string> };
}

describe('large files upload in parts (S3 multipart, signed part URLs) and verify on completion', () => {
  let app: TestApp;
  let steward: { token: string };
  // 11 MiB in parts of 5 MiB: two full parts and a last one of 1 MiB (S3's minimum applies to all but the last).
  const bytes = randomBytes(11 * MiB);
  let n = 0;

  beforeAll(async () => {
    app = await startTestApp({ MULTIPART_THRESHOLD: String(5 * MiB), MULTIPART_PART_SIZE: String(5 * MiB) });
    steward = await app.community('lake', 'steward@test.org', 'Lake People');
    await app.api('/datasets', {
      method: 'POST',
      token: steward.token,
      json: { community: 'lake', slug: 'lake-survey', title: 'Lake survey', tier: 'open' },
    });
    await app.api('/datasets/lake-survey/releases', {
      method: 'POST',
      token: steward.token,
      json: { tag: 'v1' },
    });
  }, 60_000);
  afterAll(() => app?.stop());

  async function register(body: Buffer, opts: { sha256?: string; tag?: string } = {}) {
    const res = await app.api(`/datasets/lake-survey/releases/${opts.tag ?? 'v1'}/files`, {
      method: 'POST',
      token: steward.token,
      json: {
        name: `part-${n++}.bin`,
        size: body.length,
        sha256: opts.sha256 ?? sha(body),
        mediaType: 'application/octet-stream',
      },
    });
    expect(res.status).toBe(201);
    return (await res.json()) as Registered;
  }

  /** PUTs one part to its signed URL, as a browser would; the store answers its ETag. */
  async function putPart(upload: Registered['upload'], partNumber: number, body: Buffer) {
    const part = upload.parts.find((p) => p.partNumber === partNumber)!;
    const start = (partNumber - 1) * upload.partSize;
    const res = await fetch(part.url, {
      method: 'PUT',
      body: new Uint8Array(body.subarray(start, start + upload.partSize)),
    });
    expect(res.status).toBe(200);
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    return { partNumber, etag: etag! };
  }

  const complete = (id: string, json?: unknown) =>
    app.api(`/files/${id}/complete`, { method: 'POST', token: steward.token, json });
  const row = async (id: string) => (await app.database.db.select().from(files).where(eq(files.id, id)))[0];

  it('above the threshold the API opens a multipart upload and answers one signed URL per part', async () => {
    const f = await register(bytes);
    expect(f.upload.method).toBe('multipart');
    expect(f.upload.partSize).toBe(5 * MiB);
    expect(f.upload.parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    for (const p of f.upload.parts) {
      const q = new URL(p.url).searchParams;
      expect(q.get('partNumber')).toBe(String(p.partNumber));
      expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    }
    const uploadId = new URL(f.upload.parts[0].url).searchParams.get('uploadId');
    expect((await row(f.id)).uploadId).toBe(uploadId);

    // Parts go up in any order, in parallel, as the web page sends them.
    const parts = await Promise.all([3, 1, 2].map((i) => putPart(f.upload, i, bytes)));
    const done = await complete(f.id, { parts });
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ status: 'available', size: bytes.length, sha256: sha(bytes) });
    expect((await row(f.id)).uploadId).toBeNull();

    // The assembled object is the file, byte for byte.
    const key = (await row(f.id)).storageKey;
    expect(await app.store.head(key)).toEqual({ size: bytes.length });
    expect(await app.store.sha256(key)).toBe(sha(bytes));
    const events = await app.database.db
      .select({ action: auditEvents.action, details: auditEvents.details })
      .from(auditEvents)
      .where(eq(auditEvents.subjectId, f.id));
    expect(events.map((e) => e.action)).toEqual(['file.registered', 'file.completed']);
    expect(events[1].details).toMatchObject({ multipart: true, sha256: sha(bytes) });
  });

  it('a file at or under the threshold still gets one signed PUT', async () => {
    const small = randomBytes(1024);
    const f = await register(small);
    expect(f.upload).toMatchObject({ method: 'PUT' });
    expect(f.upload.url).toBeTruthy();
    expect((await row(f.id)).uploadId).toBeNull();
    // Naming parts for a single-PUT file is a client error with a stable code.
    const res = await complete(f.id, { parts: [{ partNumber: 1, etag: '"x"' }] });
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('not_multipart');
  });

  it('assembled bytes that do not match the registered SHA-256 are 422, the file failed and its upload closed', async () => {
    const f = await register(bytes, { sha256: sha('something else') });
    const parts = [];
    for (const i of [1, 2, 3]) parts.push(await putPart(f.upload, i, bytes));
    const res = await complete(f.id, { parts });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await res.json()).code).toBe('checksum_mismatch');
    const r = await row(f.id);
    expect(r.status).toBe('failed');
    expect(r.uploadId).toBeNull();
    // Never downloadable.
    expect((await app.api(`/files/${f.id}/download`, { token: steward.token })).status).toBe(409);
    const [ev] = await app.database.db
      .select({ details: auditEvents.details })
      .from(auditEvents)
      .where(eq(auditEvents.action, 'file.verification_failed'));
    expect(ev.details).toMatchObject({ reason: 'checksum_mismatch' });
  });

  it('a missing part is 422 parts_missing; the file is failed and its upload closed', async () => {
    const f = await register(bytes);
    const p1 = await putPart(f.upload, 1, bytes);
    const p3 = await putPart(f.upload, 3, bytes);
    const res = await complete(f.id, { parts: [p1, p3] });
    expect(res.status).toBe(422);
    const problem = await res.json();
    expect(problem.code).toBe('parts_missing');
    expect(problem.missing).toEqual([2]);
    expect(await row(f.id)).toMatchObject({ status: 'failed', uploadId: null });
    // Nothing was assembled.
    expect(await app.store.head((await row(f.id)).storageKey)).toBeNull();

    // A retry opens a new multipart upload with fresh part URLs; sending every part then verifies.
    const renewed = await app.api(`/files/${f.id}/upload`, { method: 'POST', token: steward.token });
    expect(renewed.status).toBe(200);
    const { upload } = await renewed.json();
    expect(upload.method).toBe('multipart');
    const newId = new URL(upload.parts[0].url).searchParams.get('uploadId');
    expect(newId).not.toBe(new URL(f.upload.parts[0].url).searchParams.get('uploadId'));
    const parts = await Promise.all([1, 2, 3].map((i) => putPart(upload, i, bytes)));
    const ok = await complete(f.id, { parts });
    expect(ok.status).toBe(200);
    expect((await ok.json()).status).toBe('available');
  });

  it('a part named but never sent is 422 (the store cannot assemble it), not a 500', async () => {
    const f = await register(bytes);
    const p1 = await putPart(f.upload, 1, bytes);
    const p2 = await putPart(f.upload, 2, bytes);
    const res = await complete(f.id, { parts: [p1, p2, { partNumber: 3, etag: '"0123456789abcdef"' }] });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ code: 'multipart_incomplete', reason: 'InvalidPart' });
    expect((await row(f.id)).status).toBe('failed');
    // The embedded store is still up and serving (it used to throw outside the request).
    expect((await app.api('/health')).status).toBe(200);
  });

  it("an ETag that is not the part's is 422 multipart_incomplete", async () => {
    const f = await register(bytes);
    const parts = await Promise.all([1, 2, 3].map((i) => putPart(f.upload, i, bytes)));
    parts[1] = { partNumber: 2, etag: parts[0].etag };
    const res = await complete(f.id, { parts });
    expect(res.status).toBe(422);
    expect((await res.json()).code).toBe('multipart_incomplete');
  });

  it('renewal while the upload is open keeps it: parts already sent count', async () => {
    const f = await register(bytes);
    const p1 = await putPart(f.upload, 1, bytes);
    const renewed = await (
      await app.api(`/files/${f.id}/upload`, { method: 'POST', token: steward.token })
    ).json();
    const sameId = (u: { parts: Part[] }) => new URL(u.parts[0].url).searchParams.get('uploadId');
    expect(sameId(renewed.upload)).toBe(sameId(f.upload));
    const rest = await Promise.all([2, 3].map((i) => putPart(renewed.upload, i, bytes)));
    const res = await complete(f.id, { parts: [p1, ...rest] });
    expect(res.status).toBe(200);
  });

  it('completing a multipart file without its parts is 400 parts_required; duplicates are 400', async () => {
    const f = await register(bytes);
    const none = await complete(f.id);
    expect(none.status).toBe(400);
    expect((await none.json()).code).toBe('parts_required');
    const dup = await complete(f.id, {
      parts: [
        { partNumber: 1, etag: '"a"' },
        { partNumber: 1, etag: '"b"' },
      ],
    });
    expect(dup.status).toBe(400);
    expect((await dup.json()).code).toBe('duplicate_part');
    // Neither touched the file: it is still pending with its upload open.
    expect((await row(f.id)).status).toBe('pending');
  });

  it('a published release is immutable: registering, renewing and completing answer 409', async () => {
    await app.api('/datasets/lake-survey/releases', {
      method: 'POST',
      token: steward.token,
      json: { tag: 'v2' },
    });
    const small = Buffer.from('small');
    const f = await register(small, { tag: 'v2' });
    await fetch(f.upload.url!, { method: 'PUT', headers: f.upload.headers, body: small });
    expect((await complete(f.id)).status).toBe(200);
    const pub = await app.api('/datasets/lake-survey/releases/v2/publish', {
      method: 'POST',
      token: steward.token,
    });
    expect(pub.status).toBe(200);
    const late = await app.api('/datasets/lake-survey/releases/v2/files', {
      method: 'POST',
      token: steward.token,
      json: { name: 'late.bin', size: bytes.length, sha256: sha(bytes) },
    });
    expect(late.status).toBe(409);
    expect((await late.json()).code).toBe('release_immutable');
    const renew = await app.api(`/files/${f.id}/upload`, { method: 'POST', token: steward.token });
    expect(renew.status).toBe(409);
    expect((await renew.json()).code).toBe('release_immutable');
  });
});
