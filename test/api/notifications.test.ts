import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJobs } from '../../api/jobs/jobs.ts';
import { auditEvents, grants, notifications, obligations } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

type U = { id: string; token: string };
type Note = {
  id: string;
  kind: string;
  subjectId: string;
  title: string;
  body: string;
  link: string;
  readAt: string | null;
  can: { markRead: boolean };
};

const DAY = 86_400_000;

const licence = (extra: Record<string, unknown> = {}) => ({
  base: 'CC-BY-4.0',
  text: 'Research only.',
  purposes: ['research'],
  reciprocity: [
    { kind: 'attribute', timing: 'before-download' },
    { kind: 'share-model', timing: 'after-grant', dueDays: 3, evidence: 'link' },
  ],
  decision: { rule: 'single' },
  maxGrantDays: 60,
  ...extra,
});
const body = (extra: Record<string, unknown> = {}) => ({
  purpose: { category: 'research', description: 'River health study', commercial: false, forProfit: false },
  requestedDays: 10,
  licenceVersion: 1,
  ...extra,
});

async function world(app: TestApp) {
  const post = (path: string, token: string, json: unknown = {}) =>
    app.api(path, { method: 'POST', token, json });
  const admin = await app.user({ email: 'admin@test.org', admin: true });
  expect(
    (await post('/communities', admin.token, { slug: 'c1', name: 'C1', stewardEmail: 's@test.org' })).status,
  ).toBe(201);
  const steward = await app.user({ email: 's@test.org', name: 'Sam Steward' });
  const [reviewer, auditor, requester, team, outsider] = await Promise.all(
    ['rev', 'aud', 'req', 'team', 'out'].map((n) => app.user({ email: `${n}@test.org`, name: n })),
  );
  for (const [email, role] of [
    ['rev@test.org', 'reviewer'],
    ['aud@test.org', 'auditor'],
  ])
    expect((await post('/communities/c1/members', steward.token, { email, role })).status).toBe(201);
  for (const slug of ['rivers', 'lakes']) {
    expect(
      (await post('/datasets', steward.token, { community: 'c1', slug, title: `The ${slug}`, tier: 'gated' }))
        .status,
    ).toBe(201);
    expect((await post(`/datasets/${slug}/licences`, steward.token, licence())).status).toBe(201);
    expect((await post(`/datasets/${slug}/publish`, steward.token)).status).toBe(200);
  }
  return { post, steward, reviewer, auditor, requester, team, outsider };
}

/** Notifications over HTTP: who hears of each step of a request, and the inbox's privacy. */
describe('notifications', () => {
  let app: TestApp;
  let w: Awaited<ReturnType<typeof world>>;
  let requestId: string;
  let grantId: string;

  const inbox = async (u: U, query = '') => {
    const res = await app.api(`/me/notifications${query}`, { token: u.token });
    expect(res.status).toBe(200);
    return (await res.json()) as { items: Note[]; unread: number; nextCursor: string | null };
  };
  const kinds = async (u: U) => (await inbox(u)).items.map((n) => n.kind);

  beforeAll(async () => {
    app = await startTestApp();
    w = await world(app);
  });
  afterAll(() => app?.stop());

  it('a submission notifies the stewards and reviewers of the community, no one else', async () => {
    const res = await w.post(
      '/datasets/rivers/access-requests',
      w.requester.token,
      body({ team: ['team@test.org'] }),
    );
    expect(res.status).toBe(201);
    requestId = (await res.json()).id;
    for (const u of [w.steward, w.reviewer]) {
      const { items, unread } = await inbox(u);
      expect(unread).toBe(1);
      expect(items).toEqual([
        expect.objectContaining({
          kind: 'request.submitted',
          subjectId: requestId,
          link: `/requests/${requestId}`,
          readAt: null,
          can: { markRead: true },
        }),
      ]);
      expect(items[0].title).toContain('The rivers');
      expect(items[0].body).toContain('River health study');
    }
    for (const u of [w.requester, w.team, w.auditor, w.outsider]) expect(await kinds(u)).toEqual([]);
  });

  it('a return notifies the requester and the team; the resubmission notifies the deciders again', async () => {
    const r = await w.post(`/access-requests/${requestId}/reviews`, w.steward.token, {
      decision: 'return',
      comment: 'Say which rivers.',
    });
    expect(r.status).toBe(201);
    for (const u of [w.requester, w.team]) {
      const { items } = await inbox(u);
      expect(items.map((n) => n.kind)).toEqual(['request.returned']);
      expect(items[0].body).toContain('Say which rivers.');
    }
    expect((await inbox(w.team)).items[0].body).toContain('which names you');
    expect(await kinds(w.steward)).toEqual(['request.submitted']);
    const again = await app.api(`/access-requests/${requestId}`, {
      method: 'PATCH',
      token: w.requester.token,
      json: { licenceVersion: 1, purpose: { ...body().purpose, description: 'The Waikato only' } },
    });
    expect(again.status).toBe(200);
    for (const u of [w.steward, w.reviewer]) {
      const { items } = await inbox(u);
      expect(items.map((n) => n.kind)).toEqual(['request.submitted', 'request.submitted']);
      expect(items[0].title).toMatch(/resubmitted/i);
    }
    expect(await kinds(w.requester)).toEqual(['request.returned']);
  });

  it('an approval notifies the requester and the team; a denial the requester', async () => {
    const r = await w.post(`/access-requests/${requestId}/reviews`, w.steward.token, {
      decision: 'approve',
      comment: '',
    });
    expect(r.status).toBe(201);
    grantId = (await r.json()).grant.id;
    for (const u of [w.requester, w.team])
      expect(await kinds(u)).toEqual(['request.approved', 'request.returned']);
    expect(await kinds(w.reviewer)).toEqual(['request.submitted', 'request.submitted']);

    const lakes = await w.post('/datasets/lakes/access-requests', w.requester.token, body());
    const id = (await lakes.json()).id;
    expect(
      (await w.post(`/access-requests/${id}/reviews`, w.steward.token, { decision: 'deny', comment: 'No.' }))
        .status,
    ).toBe(201);
    expect(await kinds(w.requester)).toEqual(['request.denied', 'request.approved', 'request.returned']);
    expect(await kinds(w.team)).toEqual(['request.approved', 'request.returned']);
  });

  it("the inbox is its owner's alone: someone else's notification is 404; marking read, read-all, pages", async () => {
    const mine = (await inbox(w.requester)).items;
    expect(mine).toHaveLength(3);
    for (const u of [w.outsider, w.team, w.steward]) {
      const res = await w.post(`/me/notifications/${mine[0].id}/read`, u.token);
      expect(res.status).toBe(404);
      expect((await res.json()).code).toBe('notification_not_found');
    }
    expect((await inbox(w.requester)).unread).toBe(3);
    const read = await w.post(`/me/notifications/${mine[0].id}/read`, w.requester.token);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({
      id: mine[0].id,
      readAt: expect.any(String),
      can: { markRead: false },
    });
    // Idempotent.
    expect((await w.post(`/me/notifications/${mine[0].id}/read`, w.requester.token)).status).toBe(200);
    expect((await inbox(w.requester)).unread).toBe(2);
    expect((await inbox(w.requester, '?unread=1')).items.map((n) => n.id)).toEqual([mine[1].id, mine[2].id]);

    const p1 = await inbox(w.requester, '?limit=2');
    expect(p1.items.map((n) => n.id)).toEqual([mine[0].id, mine[1].id]);
    const p2 = await inbox(w.requester, `?limit=2&cursor=${p1.nextCursor}`);
    expect(p2.items.map((n) => n.id)).toEqual([mine[2].id]);
    expect(p2.nextCursor).toBeNull();

    const all = await w.post('/me/notifications/read-all', w.requester.token);
    expect(await all.json()).toEqual({ marked: 2 });
    expect((await inbox(w.requester)).unread).toBe(0);
    // Nobody else's was touched.
    expect((await inbox(w.team)).unread).toBe(2);

    for (const [path, code] of [
      ['/me/notifications?cursor=bm9wZQ', 'invalid_cursor'],
      ['/me/notifications?limit=0', 'validation_failed'],
    ]) {
      const res = await app.api(path, { token: w.requester.token });
      expect(res.status).toBe(400);
      expect((await res.json()).code).toBe(code);
    }
    // Cursors with impossible times are refused before PostgreSQL sees them (it would raise 22008: a 500).
    const cursor = (t: string) => Buffer.from(JSON.stringify({ t, i: mine[0].id })).toString('base64url');
    for (const t of [
      '2024-99-99 99:99:99',
      '2024-99-99T99:99:99Z',
      '2024-02-30T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T23:60:00Z',
      '0000-01-01T00:00:00Z',
      'yesterday',
    ]) {
      const res = await app.api(`/me/notifications?cursor=${cursor(t)}`, { token: w.requester.token });
      expect(res.status, t).toBe(400);
      expect((await res.json()).code).toBe('invalid_cursor');
    }
    // A real time pages from it.
    expect((await inbox(w.requester, `?cursor=${cursor('2024-02-29T23:59:59.123456Z')}`)).items).toEqual([]);
    expect((await inbox(w.requester, `?cursor=${cursor('2999-01-01T00:00:00Z')}`)).items).toHaveLength(3);
    const bad = await w.post('/me/notifications/not-an-id/read', w.requester.token);
    expect(bad.status).toBe(400);
    expect((await app.api('/me/notifications')).status).toBe(401);
  });

  const eventCount = async (action: string, subjectId: string) =>
    (
      await app.database.db
        .select({ n: count() })
        .from(auditEvents)
        .where(and(eq(auditEvents.action, action), eq(auditEvents.subjectId, subjectId)))
    )[0].n;
  const noticeCount = async (kind: string) =>
    (await app.database.db.select({ n: count() }).from(notifications).where(eq(notifications.kind, kind)))[0]
      .n;
  const run = (now: Date) => runJobs(app.database.db, { now, publicUrl: app.url });

  it('the job tells the grantees of an obligation due soon and of the grant ending, once', async () => {
    const now = new Date();
    const first = await app.jobs.runOnce(now);
    expect(first).toMatchObject({ led: true, expired: 0, overdue: 0, notified: 4 });
    for (const u of [w.requester, w.team]) {
      const ks = await kinds(u);
      expect(ks.filter((k) => k === 'obligation.due_soon')).toHaveLength(1);
      expect(ks.filter((k) => k === 'grant.expiring')).toHaveLength(1);
    }
    const expiring = (await inbox(w.team)).items.find((n) => n.kind === 'grant.expiring')!;
    expect(expiring.link).toBe(`/grants/${grantId}`);
    expect(await kinds(w.steward)).not.toContain('grant.expiring');
    // Twice more, one of them as two processes at once: nothing new.
    expect((await app.jobs.runOnce(now)).notified).toBe(0);
    const both = await Promise.all([run(now), run(now)]);
    expect(both.reduce((n, r) => n + r.notified, 0)).toBe(0);
    expect(await noticeCount('obligation.due_soon')).toBe(2);
  });

  it('past its due date an obligation is marked overdue once, with its event and notices', async () => {
    const later = new Date(Date.now() + 4 * DAY);
    const [a, b] = await Promise.all([run(later), run(later)]);
    expect(a.overdue + b.overdue).toBe(1);
    const [o] = await app.database.db.select().from(obligations).where(eq(obligations.kind, 'share-model'));
    expect(o.status).toBe('overdue');
    expect(await eventCount('obligation.overdue', o.id)).toBe(1);
    const [ev] = await app.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'obligation.overdue'));
    expect(ev).toMatchObject({
      actorType: 'system',
      subjectType: 'Obligation',
      details: { grantId, kind: 'share-model' },
    });
    // The undertaking accepted with the licence is no duty that can be late.
    const [attribute] = await app.database.db
      .select()
      .from(obligations)
      .where(eq(obligations.kind, 'attribute'));
    expect(attribute.status).toBe('fulfilled');
    for (const u of [w.requester, w.team, w.steward]) expect(await kinds(u)).toContain('obligation.overdue');
    for (const u of [w.reviewer, w.auditor, w.outsider])
      expect(await kinds(u)).not.toContain('obligation.overdue');
    expect((await run(later)).overdue).toBe(0);
    expect(await eventCount('obligation.overdue', o.id)).toBe(1);
    expect(await noticeCount('obligation.overdue')).toBe(3);
    const g = await (await app.api(`/grants/${grantId}`, { token: w.requester.token })).json();
    expect(g.obligations.find((x: { kind: string }) => x.kind === 'share-model').status).toBe('overdue');
  });

  it('past its end a grant becomes expired with one grant.expired event; a renewal announces the new end', async () => {
    const later = new Date(Date.now() + 11 * DAY);
    const [a, b] = await Promise.all([run(later), run(later)]);
    expect(a.expired + b.expired).toBe(1);
    expect((await run(later)).expired).toBe(0);
    expect(await eventCount('grant.expired', grantId)).toBe(1);
    const [g] = await app.database.db.select().from(grants).where(eq(grants.id, grantId));
    expect(g.status).toBe('expired');
    const [ev] = await app.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'grant.expired'), eq(auditEvents.subjectId, grantId)));
    expect(ev).toMatchObject({ actorType: 'system', details: { from: 'active', to: 'expired' } });
    // An expired grant may be renewed; the new end date is announced again when it nears.
    const renewed = await w.post(`/grants/${grantId}/renew`, w.steward.token, {
      reason: 'More time',
      days: 5,
    });
    expect(renewed.status).toBe(200);
    expect((await renewed.json()).status).toBe('active');
    expect(await noticeCount('grant.expiring')).toBe(2);
    // It now ends 15 days from today (5 days after its old end): two days on, it is within the 14 days.
    expect((await run(new Date())).notified).toBe(0);
    await run(new Date(Date.now() + 2 * DAY));
    expect(await noticeCount('grant.expiring')).toBe(4);
  });
});
