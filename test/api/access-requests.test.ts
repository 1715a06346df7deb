import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessRequests, auditEvents, grants, reviews } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

type U = { id: string; token: string };

const fields = [
  { name: 'affiliation', label: 'Your institution', type: 'text', required: true },
  { name: 'role', label: 'Your role', type: 'choice', options: ['student', 'staff'] },
  { name: 'start', label: 'Start date', type: 'date' },
  { name: 'country', label: 'Where you work', type: 'country' },
  { name: 'consent', label: 'I will not re-identify anyone', type: 'checkbox', required: true },
];
const licence = (extra: Record<string, unknown> = {}) => ({
  base: 'CC-BY-NC-4.0',
  text: 'Research only.',
  purposes: ['research'],
  prohibitions: ['commercial'],
  reciprocity: [
    { kind: 'attribute', timing: 'before-download' },
    { kind: 'publish-results', timing: 'after-grant', dueDays: 90, evidence: 'link' },
    { kind: 'report-use', timing: 'every-n-months', everyMonths: 6, evidence: 'text' },
    { kind: 'delete-at-end', timing: 'at-end', evidence: 'text' },
  ],
  decision: { rule: 'single' },
  maxGrantDays: 60,
  fields,
  ...extra,
});
const body = (extra: Record<string, unknown> = {}) => ({
  purpose: {
    category: 'health-research',
    description: 'River health study',
    commercial: false,
    forProfit: false,
  },
  intendedOutputs: 'A paper',
  requestedDays: 30,
  answers: {
    affiliation: 'Uni of the River',
    role: 'staff',
    start: '2026-12-01',
    country: 'NZ',
    consent: true,
  },
  licenceVersion: 1,
  ...extra,
});

/** The access loop over HTTP: submit, review under each decision rule, return, resubmit, withdraw, lists. */
describe('access requests', () => {
  let app: TestApp;
  let steward: U,
    steward2: U,
    rev1: U,
    rev2: U,
    rev3: U,
    auditor: U,
    requester: U,
    team: U,
    outsider: U,
    other: U;

  const post = (path: string, token: string, json: unknown = {}) =>
    app.api(path, { method: 'POST', token, json });
  const submit = (slug: string, token: string, b: unknown = body()) =>
    post(`/datasets/${slug}/access-requests`, token, b);
  const review = (id: string, token: string, decision: string, extra: Record<string, unknown> = {}) =>
    post(`/access-requests/${id}/reviews`, token, { decision, comment: `${decision}!`, ...extra });
  const get = async (id: string, token: string) => app.api(`/access-requests/${id}`, { token });
  const counts = async () => {
    const db = app.database.db;
    return {
      requests: (await db.select({ n: count() }).from(accessRequests))[0].n,
      reviews: (await db.select({ n: count() }).from(reviews))[0].n,
      grants: (await db.select({ n: count() }).from(grants))[0].n,
      audit: (await db.select({ n: count() }).from(auditEvents))[0].n,
    };
  };

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await app.user({ email: 'admin@test.org', admin: true });
    for (const [slug, s] of [
      ['c1', 's@test.org'],
      ['c2', 's2@test.org'],
    ])
      await post('/communities', admin.token, { slug, name: slug, stewardEmail: s });
    steward = await app.user({ email: 's@test.org' });
    steward2 = await app.user({ email: 's2@test.org' });
    [rev1, rev2, rev3, auditor] = await Promise.all(
      ['r1', 'r2', 'r3', 'aud'].map((n) => app.user({ email: `${n}@test.org` })),
    );
    for (const [email, role] of [
      ['r1@test.org', 'reviewer'],
      ['r2@test.org', 'reviewer'],
      ['r3@test.org', 'reviewer'],
      ['aud@test.org', 'auditor'],
    ])
      expect((await post('/communities/c1/members', steward.token, { email, role })).status).toBe(201);
    requester = await app.user({ email: 'req@test.org', name: 'Rae Requester' });
    team = await app.user({ email: 'team@test.org' });
    outsider = await app.user({ email: 'out@test.org' });
    other = await app.user({ email: 'other@test.org' });
    const datasets: [string, string, Record<string, unknown> | null, boolean][] = [
      ['single', 'gated', licence(), true],
      ['quorum', 'restricted', licence({ decision: { rule: 'quorum', k: 2, n: 3, veto: true } }), true],
      ['noveto', 'restricted', licence({ decision: { rule: 'quorum', k: 2 } }), true],
      ['auto', 'gated', licence({ autoApprove: true, fields: [] }), true],
      ['reg', 'registered', licence(), true],
      ['open', 'open', licence(), true],
      ['unlicensed', 'gated', null, true],
      ['draft', 'gated', licence(), false],
    ];
    for (const [slug, tier, l, publish] of datasets) {
      const res = await post('/datasets', steward.token, { community: 'c1', slug, title: slug, tier });
      expect(res.status).toBe(201);
      if (l) expect((await post(`/datasets/${slug}/licences`, steward.token, l)).status).toBe(201);
      if (publish) expect((await post(`/datasets/${slug}/publish`, steward.token)).status).toBe(200);
    }
  });
  afterAll(() => app?.stop());

  it('a requester submits: 201 with the terms match; the requester, the team and the deciders read it, no one else', async () => {
    const res = await submit('single', requester.token, body({ team: ['team@test.org', 'REQ@test.org'] }));
    expect(res.status).toBe(201);
    const r = await res.json();
    expect(r).toMatchObject({ status: 'submitted', match: { result: 'match' }, round: 1, licenceVersion: 1 });
    expect(r.match.reasons[0]).toContain('research');
    expect(r.team.map((u: { id: string }) => u.id)).toEqual([team.id]);
    expect(r.history).toEqual([
      expect.objectContaining({ status: 'submitted', action: 'request.submitted' }),
    ]);
    for (const u of [requester, team, steward, rev1]) expect((await get(r.id, u.token)).status).toBe(200);
    for (const u of [outsider, steward2, auditor]) {
      const denied = await get(r.id, u.token);
      expect(denied.status).toBe(404);
      expect((await denied.json()).code).toBe('access_request_not_found');
    }
    // The requester does not see the reviews; the deciders do.
    expect((await (await get(r.id, requester.token)).json()).reviews).toBeUndefined();
    expect((await (await get(r.id, rev1.token)).json()).reviews).toEqual([]);
    // One open request per requester and dataset.
    const again = await submit('single', requester.token);
    expect(again.status).toBe(409);
    expect((await again.json()).code).toBe('request_already_open');
    await post(`/access-requests/${r.id}/withdraw`, requester.token, { reason: 'test done' });
  });

  it.each([
    [
      'an unknown purpose',
      body({ purpose: { ...body().purpose, category: 'astrology' } }),
      400,
      'unknown_purpose',
    ],
    [
      'a purpose without the commercial flag',
      body({ purpose: { category: 'research', description: 'x' } }),
      400,
      'purpose_incomplete',
    ],
    [
      'a missing required answer',
      body({ answers: { role: 'staff', consent: true } }),
      400,
      'answer_required',
    ],
    [
      'a required checkbox not ticked',
      body({ answers: { ...body().answers, consent: false } }),
      400,
      'answer_required',
    ],
    ['a choice not offered', body({ answers: { ...body().answers, role: 'king' } }), 400, 'invalid_answer'],
    [
      'a date that is no date',
      body({ answers: { ...body().answers, start: '2026-02-30' } }),
      400,
      'invalid_answer',
    ],
    [
      'a country that is none',
      body({ answers: { ...body().answers, country: 'XX' } }),
      400,
      'invalid_answer',
    ],
    ['an answer to no question', body({ answers: { ...body().answers, shoe: '42' } }), 400, 'unknown_field'],
    ['an old licence version', body({ licenceVersion: 7 }), 409, 'licence_version_not_current'],
    ['no licence version', { ...body(), licenceVersion: undefined }, 400, 'licence_version_required'],
    ['an unknown team e-mail', body({ team: ['ghost@test.org'] }), 400, 'unknown_team_member'],
    ['an unknown release', body({ scope: { releases: ['v9'] } }), 400, 'unknown_release'],
    [
      'releases and files at once',
      body({ scope: { releases: ['v1'], files: [crypto.randomUUID()] } }),
      400,
      'scope_ambiguous',
    ],
    ['too long a duration', body({ requestedDays: 99_999 }), 400, 'requested_days_out_of_range'],
  ])('%s: %i %s, and nothing written', async (_label, b, status, code) => {
    const before = await counts();
    const res = await submit('single', requester.token, b);
    expect(res.status).toBe(status);
    const p = await res.json();
    expect(p.code).toBe(code);
    if (code === 'licence_version_not_current') expect(p.currentVersion).toBe(1);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['open', 409, 'dataset_not_requestable'],
    ['reg', 409, 'dataset_not_requestable'],
    ['unlicensed', 409, 'no_licence'],
    ['draft', 404, 'dataset_not_found'],
    ['nowhere', 404, 'dataset_not_found'],
  ])('a request to %s: %i %s', async (slug, status, code) => {
    const before = await counts();
    const res = await submit(slug, requester.token);
    expect([res.status, (await res.json()).code]).toEqual([status, code]);
    expect(await counts()).toEqual(before);
  });

  it('anonymous callers and tokens without the request scope cannot submit', async () => {
    expect((await app.api('/datasets/single/access-requests', { method: 'POST', json: body() })).status).toBe(
      401,
    );
    const readOnly = await app.user({ email: 'ro@test.org', scopes: ['read', 'download'] });
    expect((await submit('single', readOnly.token)).status).toBe(403);
  });

  it('single rule: reviewer advice → in_review; a steward returns; resubmitted; a steward approves and a grant is issued', async () => {
    const { id } = await (await submit('single', requester.token, body({ team: ['team@test.org'] }))).json();
    // Nobody decides their own request or one they would be a grantee of; outsiders do not see it.
    expect((await (await review(id, requester.token, 'approve')).json()).code).toBe('not_a_reviewer');
    expect((await (await review(id, team.token, 'approve')).json()).code).toBe('not_a_reviewer');
    expect((await review(id, steward2.token, 'approve')).status).toBe(404);
    expect((await review(id, auditor.token, 'approve')).status).toBe(404);

    let r = await (await review(id, rev1.token, 'approve')).json();
    expect(r.status).toBe('in_review');
    expect(r.grant).toBeNull();
    expect((await (await review(id, rev1.token, 'approve')).json()).code).toBe('already_reviewed');

    r = await (await review(id, steward.token, 'return', { comment: 'Name your project' })).json();
    expect(r).toMatchObject({
      status: 'returned',
      statusReason: expect.stringContaining('Name your project'),
    });
    expect((await (await review(id, rev2.token, 'approve')).json()).code).toBe('request_not_reviewable');
    // Only the requester resubmits, with the licence accepted again.
    expect(
      (
        await app.api(`/access-requests/${id}`, {
          method: 'PATCH',
          token: team.token,
          json: { licenceVersion: 1 },
        })
      ).status,
    ).toBe(403);
    const res = await app.api(`/access-requests/${id}`, {
      method: 'PATCH',
      token: requester.token,
      json: { licenceVersion: 1, intendedOutputs: 'A paper on the river project' },
    });
    expect(res.status).toBe(200);
    r = await res.json();
    expect(r).toMatchObject({
      status: 'submitted',
      round: 2,
      intendedOutputs: 'A paper on the river project',
    });
    // A new round: the reviewer may review again.
    expect((await review(id, rev1.token, 'approve')).status).toBe(201);

    const approved = await review(id, steward.token, 'approve');
    expect(approved.status).toBe(201);
    r = await approved.json();
    expect(r.status).toBe('approved');
    expect(r.grant.id).toBeTruthy();
    expect(r.history.map((h: { status: string }) => h.status)).toEqual([
      'submitted',
      'in_review',
      'returned',
      'submitted',
      'in_review',
      'approved',
    ]);
    expect(r.history[2].reason).toContain('Name your project');
    // Decided: no more reviews, no withdrawal.
    expect((await (await review(id, rev2.token, 'deny')).json()).code).toBe('request_not_reviewable');
    expect((await (await post(`/access-requests/${id}/withdraw`, requester.token)).json()).code).toBe(
      'request_closed',
    );

    const grant = await (await app.api(`/grants/${r.grant.id}`, { token: team.token })).json();
    expect(grant).toMatchObject({
      status: 'active',
      datasetSlug: 'single',
      kind: 'request',
      licenceVersion: 1,
    });
    expect(grant.grantees.map((g: { id: string }) => g.id).sort()).toEqual([requester.id, team.id].sort());
    const days = (Date.parse(grant.expiresAt) - Date.parse(grant.startsAt)) / 86_400_000;
    expect(days).toBe(30);
    const ob = Object.fromEntries(grant.obligations.map((o: { kind: string }) => [o.kind, o]));
    expect(ob.attribute.status).toBe('fulfilled');
    expect(Date.parse(ob['publish-results'].dueAt) - Date.parse(grant.startsAt)).toBe(90 * 86_400_000);
    expect(ob['delete-at-end'].dueAt).toBe(grant.expiresAt);
    expect(Date.parse(ob['report-use'].dueAt)).toBeGreaterThan(Date.parse(grant.startsAt) + 180 * 86_400_000);

    const actions = await app.database.db
      .select({ action: auditEvents.action })
      .from(auditEvents)
      .where(eq(auditEvents.subjectId, id));
    expect(actions.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'request.submitted',
        'review.cast',
        'request.returned',
        'request.resubmitted',
        'request.approved',
      ]),
    );
  });

  it('a duration beyond the licence cap is capped', async () => {
    const u = await app.user({ email: 'long@test.org' });
    const { id } = await (await submit('single', u.token, body({ requestedDays: 3000 }))).json();
    const r = await (await review(id, steward.token, 'approve')).json();
    const g = await (await app.api(`/grants/${r.grant.id}`, { token: u.token })).json();
    expect((Date.parse(g.expiresAt) - Date.parse(g.startsAt)) / 86_400_000).toBe(60);
  });

  it('a steward cannot decide their own request', async () => {
    const { id } = await (await submit('single', steward.token)).json();
    const res = await review(id, steward.token, 'approve');
    expect([res.status, (await res.json()).code]).toEqual([403, 'own_request']);
    expect((await post(`/access-requests/${id}/withdraw`, steward.token)).status).toBe(200);
  });

  it('quorum: k approvals decide, a declared conflict of interest does not count, a veto denies', async () => {
    const u = await app.user({ email: 'q1@test.org' });
    const { id } = await (await submit('quorum', u.token)).json();
    expect((await (await review(id, rev1.token, 'approve')).json()).status).toBe('in_review');
    const coi = await (await review(id, rev2.token, 'approve', { conflictOfInterest: 'my sister' })).json();
    expect(coi.status).toBe('in_review');
    expect(coi.grant).toBeNull();
    expect(
      coi.reviews.find((x: { reviewer: { id: string } }) => x.reviewer.id === rev2.id).conflictOfInterest,
    ).toBe('my sister');
    const done = await (await review(id, rev3.token, 'approve')).json();
    expect(done.status).toBe('approved');
    expect(done.grant.id).toBeTruthy();

    const u2 = await app.user({ email: 'q2@test.org' });
    const second = await (await submit('quorum', u2.token)).json();
    await review(second.id, rev1.token, 'approve');
    const denied = await (await review(second.id, rev2.token, 'deny', { comment: 'not for this' })).json();
    expect(denied).toMatchObject({ status: 'denied', grant: null });
    expect(denied.statusReason).toContain('veto');
  });

  it('quorum without veto: one denial does not deny; a return returns', async () => {
    const u = await app.user({ email: 'nv@test.org' });
    const { id } = await (await submit('noveto', u.token)).json();
    expect((await (await review(id, rev1.token, 'deny')).json()).status).toBe('in_review');
    expect((await (await review(id, rev2.token, 'return')).json()).status).toBe('returned');
    expect((await get(id, u.token)).status).toBe(200);
  });

  it('withdrawal: the requester withdraws an open request, then it takes no reviews and cannot be resubmitted', async () => {
    const u = await app.user({ email: 'w@test.org' });
    const { id } = await (await submit('single', u.token)).json();
    expect((await post(`/access-requests/${id}/withdraw`, other.token)).status).toBe(404);
    expect((await post(`/access-requests/${id}/withdraw`, rev1.token)).status).toBe(403);
    const w = await (
      await post(`/access-requests/${id}/withdraw`, u.token, { reason: 'changed my mind' })
    ).json();
    expect(w).toMatchObject({ status: 'withdrawn', statusReason: 'changed my mind' });
    expect((await (await review(id, steward.token, 'approve')).json()).code).toBe('request_not_reviewable');
    const res = await app.api(`/access-requests/${id}`, {
      method: 'PATCH',
      token: u.token,
      json: { licenceVersion: 1 },
    });
    expect([res.status, (await res.json()).code]).toEqual([409, 'request_not_returned']);
    // A withdrawn request is no longer open: a new one may be made.
    expect((await submit('single', u.token)).status).toBe(201);
  });

  it('auto-approval: only where the licence turns it on and the terms match', async () => {
    const u = await app.user({ email: 'auto@test.org' });
    const ok = await submit('auto', u.token, body({ answers: {} }));
    const r = await ok.json();
    expect(ok.status).toBe(201);
    expect(r).toMatchObject({ status: 'approved', match: { result: 'match' } });
    expect(r.grant.id).toBeTruthy();
    const u2 = await app.user({ email: 'auto2@test.org' });
    const commercial = body({ answers: {}, purpose: { ...body().purpose, commercial: true } });
    const no = await (await submit('auto', u2.token, commercial)).json();
    expect(no).toMatchObject({ status: 'submitted', match: { result: 'no_match' }, grant: null });
    expect(no.match.reasons.join(' ')).toContain('commercial');
    // Without auto-approval a match waits for people.
    const u3 = await app.user({ email: 'auto3@test.org' });
    expect((await (await submit('single', u3.token)).json()).status).toBe('submitted');
  });

  it('lists: mine, the community queue by status — exactly what the policy allows', async () => {
    const ids = async (path: string, token: string) =>
      ((await (await app.api(path, { token })).json()).items as { id: string }[]).map((x) => x.id).sort();
    const all = await app.database.db
      .select({
        id: accessRequests.id,
        requesterId: accessRequests.requesterId,
        team: accessRequests.teamUserIds,
        status: accessRequests.status,
      })
      .from(accessRequests);
    const sorted = (xs: typeof all) => xs.map((x) => x.id).sort();
    expect(await ids('/access-requests?mine=1', requester.token)).toEqual(
      sorted(all.filter((x) => x.requesterId === requester.id)),
    );
    const teamMine = await ids('/access-requests?mine=1', team.token);
    expect(teamMine).toEqual(sorted(all.filter((x) => x.team.includes(team.id))));
    expect(teamMine.length).toBeGreaterThan(0);
    expect(await ids('/access-requests?community=c1', rev1.token)).toEqual(sorted(all));
    expect(await ids('/access-requests?community=c1&status=approved', steward.token)).toEqual(
      sorted(all.filter((x) => x.status === 'approved')),
    );
    expect(await ids('/access-requests?community=c1', outsider.token)).toEqual([]);
    expect(await ids('/access-requests?community=c1', auditor.token)).toEqual([]);
    expect(await ids('/access-requests?community=c1', steward2.token)).toEqual([]);
    expect((await app.api('/access-requests?community=nope', { token: rev1.token })).status).toBe(404);
    expect((await app.api('/access-requests?mine=1')).status).toBe(401);
  });

  it('single rule: two stewards approving at the same moment issue exactly one grant', async () => {
    const s3 = await app.user({ email: 's3@test.org' });
    await post('/communities/c1/members', steward.token, { email: 's3@test.org', role: 'steward' });
    for (let i = 0; i < 3; i++) {
      const u = await app.user({ email: `race-single${i}@test.org` });
      const { id } = await (await submit('single', u.token)).json();
      const results = await Promise.all([steward, s3].map((x) => review(id, x.token, 'approve')));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      const [{ n }] = await app.database.db
        .select({ n: count() })
        .from(grants)
        .where(eq(grants.requestId, id));
      expect(n).toBe(1);
    }
  });

  it('the OpenAPI document describes the access loop', async () => {
    const doc = await (await app.api('/openapi.json')).json();
    for (const path of [
      '/datasets/{slug}/access-requests',
      '/datasets/{slug}/accept',
      '/access-requests',
      '/access-requests/{id}',
      '/access-requests/{id}/reviews',
      '/access-requests/{id}/withdraw',
      '/grants',
      '/grants/{id}',
      '/grants/{id}/odrl.jsonld',
      '/grants/{id}/renew',
      '/keys',
    ])
      expect(doc.paths[path], path).toBeDefined();
    const req =
      doc.paths['/datasets/{slug}/access-requests'].post.requestBody.content['application/json'].schema;
    expect(req.required).toEqual(expect.arrayContaining(['purpose', 'licenceVersion']));
  });
});
