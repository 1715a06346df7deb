import { createHash } from 'node:crypto';
import { and, count, eq } from 'drizzle-orm';
import { compactVerify, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, grants } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { odrlViolations } from '../helpers/odrl.ts';

type U = { id: string; token: string };
const GATED = 'demo-oral-histories';
const REGISTERED = 'demo-river-readings';

/**
 * Grants over HTTP on the seeded demo: the click-through of a registered licence, approval of a gated
 * request then download, the signed Agreement, the stewards' acts, and two approvals racing.
 */
describe('grants', () => {
  let app: TestApp;
  let steward: U, rev1: U, rev2: U, rev3: U, outsider: U;
  let gatedFile: string;
  let registeredFile: string;
  let gatedVersion: number;

  const post = (path: string, token: string, json: unknown = {}) =>
    app.api(path, { method: 'POST', token, json });
  const download = (file: string, token: string) => app.api(`/files/${file}/download`, { token });
  const requestBody = (version: number) => ({
    purpose: { category: 'research', description: 'Oral history study', commercial: false, forProfit: false },
    licenceVersion: version,
    answers: {
      affiliation: 'Uni',
      relationship: 'Working with the community',
      country: 'NZ',
      ethics: true,
    },
  });
  const fileOf = (
    page: { releases: { files: { id: string; tier: string | null; name: string }[] }[] },
    name: string,
  ) => page.releases.flatMap((r) => r.files).find((f) => f.name === name)!.id;

  /** A request by a new user on the gated dataset, approved by two reviewers (the seed's quorum of 2). */
  async function approvedGrant(email: string, extra: Record<string, unknown> = {}) {
    const u = await app.user({ email });
    const res = await post(`/datasets/${GATED}/access-requests`, u.token, {
      ...requestBody(gatedVersion),
      ...extra,
    });
    expect(res.status).toBe(201);
    const { id } = await res.json();
    await post(`/access-requests/${id}/reviews`, rev1.token, { decision: 'approve' });
    const r = await (
      await post(`/access-requests/${id}/reviews`, rev2.token, { decision: 'approve' })
    ).json();
    expect(r.status).toBe('approved');
    return { user: u, requestId: id, grantId: r.grant.id as string };
  }

  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
    steward = await app.user({ email: 'steward@example.org' });
    [rev1, rev2, rev3, outsider] = await Promise.all(
      ['rv1', 'rv2', 'rv3', 'out'].map((n) => app.user({ email: `${n}@test.org` })),
    );
    for (const email of ['rv1@test.org', 'rv2@test.org', 'rv3@test.org'])
      await post('/communities/demo-collective/members', steward.token, { email, role: 'reviewer' });
    const gated = await (await app.api(`/datasets/${GATED}`)).json();
    gatedFile = fileOf(gated, 'transcripts.txt');
    gatedVersion = gated.licence.version;
    registeredFile = (await (await app.api(`/datasets/${REGISTERED}`)).json()).releases[0].files[0].id;
  });
  afterAll(() => app?.stop());

  it('click-through: accepting the current licence records a grant once, then registered files download', async () => {
    const u = await app.user({ email: 'click@test.org' });
    expect((await download(registeredFile, u.token)).status).toBe(403);
    const page = await (await app.api(`/datasets/${REGISTERED}`)).json();
    const version = page.licence.version;
    const old = await post(`/datasets/${REGISTERED}/accept`, u.token, { licenceVersion: version + 1 });
    expect([old.status, (await old.json()).code]).toEqual([409, 'licence_version_not_current']);
    const first = await post(`/datasets/${REGISTERED}/accept`, u.token, { licenceVersion: version });
    expect(first.status).toBe(201);
    const g = await first.json();
    expect(g).toMatchObject({
      kind: 'click_through',
      status: 'active',
      datasetSlug: REGISTERED,
      licenceVersion: version,
    });
    const again = await post(`/datasets/${REGISTERED}/accept`, u.token, { licenceVersion: version });
    expect(again.status).toBe(200);
    expect((await again.json()).id).toBe(g.id);
    expect((await download(registeredFile, u.token)).status).toBe(302);
    const events = await app.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'grant.issued'), eq(auditEvents.subjectId, g.id)));
    expect(events).toHaveLength(1);
    expect(events[0].details).toMatchObject({ kind: 'click_through', grantees: [u.id] });
  });

  it('click-through refusals: a gated dataset, anonymous callers, tokens without the request scope', async () => {
    const u = await app.user({ email: 'click2@test.org' });
    const gated = await post(`/datasets/${GATED}/accept`, u.token, { licenceVersion: gatedVersion });
    expect([gated.status, (await gated.json()).code]).toEqual([409, 'not_click_through']);
    expect(
      (await app.api(`/datasets/${REGISTERED}/accept`, { method: 'POST', json: { licenceVersion: 1 } }))
        .status,
    ).toBe(401);
    const ro = await app.user({ email: 'ro@test.org', scopes: ['read', 'download'] });
    const page = await (await app.api(`/datasets/${REGISTERED}`)).json();
    expect(
      (await post(`/datasets/${REGISTERED}/accept`, ro.token, { licenceVersion: page.licence.version }))
        .status,
    ).toBe(403);
  });

  it('an approved gated request: the grantee and the team download; obligations and dates are in the grant', async () => {
    const mate = await app.user({ email: 'mate@test.org', name: 'Mate' });
    const { user, grantId } = await approvedGrant('gr1@test.org', { team: ['mate@test.org'] });
    expect((await download(gatedFile, user.token)).status).toBe(302);
    expect((await download(gatedFile, mate.token)).status).toBe(302);
    expect((await download(gatedFile, outsider.token)).status).toBe(403);
    const g = await (await app.api(`/grants/${grantId}`, { token: user.token })).json();
    expect(g).toMatchObject({ id: grantId, status: 'active', datasetSlug: GATED });
    expect(g.obligations.map((o: { kind: string }) => o.kind).sort()).toEqual(
      [
        'attribute',
        'contribute-funds',
        'delete-at-end',
        'notify-before-publication',
        'return-results-to-community',
      ].sort(),
    );
    expect(Date.parse(g.expiresAt) - Date.parse(g.startsAt)).toBe(365 * 86_400_000);
  });

  it('a request scoped to releases or files yields a grant of that scope, and downloads follow it', async () => {
    const page = await (await app.api(`/datasets/${GATED}`)).json();
    const release = page.releases[0];
    const byRelease = await approvedGrant('scope1@test.org', { scope: { releases: [release.tag] } });
    const g1 = await (await app.api(`/grants/${byRelease.grantId}`, { token: byRelease.user.token })).json();
    expect(g1.scope).toEqual({ type: 'release', ids: [release.id] });
    expect((await download(gatedFile, byRelease.user.token)).status).toBe(302);
    const other = fileOf(page, 'sample.txt');
    const byFile = await approvedGrant('scope2@test.org', { scope: { files: [other] } });
    const g2 = await (await app.api(`/grants/${byFile.grantId}`, { token: byFile.user.token })).json();
    expect(g2.scope).toEqual({ type: 'file', ids: [other] });
    expect((await download(gatedFile, byFile.user.token)).status).toBe(403);
  });

  it('before-download terms that need evidence hold downloads back until they are met', async () => {
    const page = await (await app.api(`/datasets/${GATED}`)).json();
    const current = await (await app.api(`/datasets/${GATED}/licences/${page.licence.version}`)).json();
    const res = await post(`/datasets/${GATED}/licences`, steward.token, {
      base: current.base ?? '',
      text: current.text,
      purposes: current.purposes,
      duo: current.duo.map((d: { id: string }) => d.id),
      prohibitions: current.prohibitions,
      reciprocity: [{ kind: 'contribute-funds', timing: 'before-download', evidence: 'text' }],
      decision: current.decision,
      fields: current.fields,
    });
    expect(res.status).toBe(201);
    const previous = gatedVersion;
    gatedVersion = (await res.json()).version;
    try {
      const { user, grantId } = await approvedGrant('gr2@test.org');
      const g = await (await app.api(`/grants/${grantId}`, { token: user.token })).json();
      expect(g.obligations).toEqual([
        expect.objectContaining({ kind: 'contribute-funds', timing: 'before-download', dueAt: g.startsAt }),
      ]);
      expect((await download(gatedFile, user.token)).status).toBe(403);
    } finally {
      // Later tests request under the seed's terms again.
      await post(`/datasets/${GATED}/licences/${gatedVersion}/withdraw`, steward.token);
      gatedVersion = previous;
    }
  });

  it('the Agreement is an ODRL Agreement signed with the served key, and its SHA-256 is in grant.issued', async () => {
    await app.user({ email: 'mate2@test.org', name: 'Mate Two' });
    const { user, grantId } = await approvedGrant('gr3@test.org', { team: ['mate2@test.org'] });
    const res = await app.api(`/grants/${grantId}/odrl.jsonld`, { token: user.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/ld+json');
    const doc = await res.json();
    const { jws, sha256 } = doc['steward:signature'];
    const { keys } = await (await app.api('/keys')).json();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(keys[0].d).toBeUndefined();
    const { payload, protectedHeader } = await compactVerify(jws, await importJWK(keys[0], 'EdDSA'));
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: keys[0].kid });
    const agreement = JSON.parse(new TextDecoder().decode(payload));
    const { 'steward:signature': _sig, ...unsigned } = doc;
    expect(agreement).toEqual(unsigned);
    expect(createHash('sha256').update(jws).digest('hex')).toBe(sha256);
    const [issued] = await app.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'grant.issued'), eq(auditEvents.subjectId, grantId)));
    expect(issued.details.agreementSha256).toBe(sha256);
    // A tampered payload does not verify.
    const [h, p, s] = jws.split('.');
    const forged = Buffer.from(JSON.stringify({ ...agreement, assignee: 'urn:uuid:someone-else' })).toString(
      'base64url',
    );
    await expect(compactVerify(`${h}.${forged}.${s}`, await importJWK(keys[0], 'EdDSA'))).rejects.toThrow();
    expect(p).toBeTruthy();
    // ODRL: an Agreement with one assigner (the community), one assignee (the team as a PartyCollection).
    const profile = await (await app.api('/odrl/profile.jsonld')).json();
    expect(odrlViolations(agreement, profile)).toEqual([]);
    expect(agreement['@type']).toBe('Agreement');
    expect(agreement.assigner.uid).toContain('/communities/demo-collective');
    expect(agreement.assignee['@type']).toBe('PartyCollection');
    expect(agreement.assignee['vcard:hasMember']).toHaveLength(2);
    // Only those who may read the grant read its Agreement.
    expect((await app.api(`/grants/${grantId}/odrl.jsonld`, { token: outsider.token })).status).toBe(404);
    expect(
      (
        await app.api(`/grants/${grantId}/odrl.jsonld`, {
          headers: { accept: 'application/jose' },
          token: user.token,
        })
      ).status,
    ).toBe(200);
  });

  it('stewards suspend, reinstate, renew and revoke with reasons; downloads follow; each act is audited', async () => {
    const { user, grantId } = await approvedGrant('gr4@test.org');
    const act = (what: string, token: string, json: unknown = { reason: `${what} test` }) =>
      post(`/grants/${grantId}/${what}`, token, json);
    const noReason = await act('suspend', steward.token, {});
    expect(noReason.status).toBe(400);
    expect((await act('suspend', user.token)).status).toBe(403);
    expect((await act('suspend', outsider.token)).status).toBe(404);
    // Reviewers do not read grants (the policy gives grants to stewards): 404.
    expect((await act('suspend', rev1.token)).status).toBe(404);

    const suspended = await (await act('suspend', steward.token)).json();
    expect(suspended).toMatchObject({ status: 'suspended', statusReason: 'suspend test' });
    expect((await download(gatedFile, user.token)).status).toBe(403);
    expect((await (await act('suspend', steward.token)).json()).code).toBe('grant_state_conflict');
    expect((await (await act('reinstate', steward.token)).json()).status).toBe('active');
    expect((await download(gatedFile, user.token)).status).toBe(302);

    // The seed licence caps grants at 365 days from today: a new grant is at its cap already.
    const atCap = await act('renew', steward.token, { reason: 'more time', days: 30 });
    expect([atCap.status, (await atCap.json()).code]).toEqual([422, 'renewal_exceeds_cap']);
    const short = new Date(Date.now() + 10 * 86_400_000);
    await app.database.db.update(grants).set({ expiresAt: short }).where(eq(grants.id, grantId));
    const renewed = await (await act('renew', steward.token, { reason: 'more time', days: 30 })).json();
    expect(Date.parse(renewed.expiresAt) - short.getTime()).toBe(30 * 86_400_000);
    const atEnd = renewed.obligations.find((o: { timing: string; status: string }) => o.timing === 'at-end');
    expect(atEnd.dueAt).toBe(renewed.expiresAt);

    expect((await (await act('revoke', steward.token)).json()).status).toBe('revoked');
    expect((await download(gatedFile, user.token)).status).toBe(403);
    expect((await (await act('reinstate', steward.token)).json()).code).toBe('grant_state_conflict');
    const events = await app.database.db
      .select({ action: auditEvents.action, details: auditEvents.details })
      .from(auditEvents)
      .where(eq(auditEvents.subjectId, grantId))
      .orderBy(auditEvents.seq);
    expect(events.map((e) => e.action)).toEqual([
      'grant.issued',
      'grant.suspended',
      'grant.reinstated',
      'grant.renewed',
      'grant.revoked',
    ]);
    expect(events[1].details).toMatchObject({ reason: 'suspend test', from: 'active', to: 'suspended' });
  });

  it('lists: my grants, and a community’s grants for its stewards only', async () => {
    const { user, grantId } = await approvedGrant('gr5@test.org');
    const ids = async (path: string, token: string) =>
      ((await (await app.api(path, { token })).json()).items as { id: string }[]).map((x) => x.id).sort();
    expect(await ids('/grants?mine=1', user.token)).toEqual([grantId]);
    const mine = (await (await app.api('/grants?mine=1', { token: user.token })).json()).items[0];
    expect(mine.obligations.length).toBeGreaterThan(0);
    expect(mine.obligations[0].dueAt).toBeTruthy();
    const all = (await app.database.db.select({ id: grants.id }).from(grants)).map((g) => g.id).sort();
    expect(await ids('/grants?community=demo-collective', steward.token)).toEqual(all);
    expect(await ids('/grants?community=demo-collective', rev1.token)).toEqual([]);
    expect(await ids('/grants?community=demo-collective', user.token)).toEqual([grantId]);
    expect(await ids('/grants?mine=1', outsider.token)).toEqual([]);
    expect((await app.api(`/grants/${grantId}`, { token: outsider.token })).status).toBe(404);
    expect((await app.api(`/grants/${grantId}`, { token: steward.token })).status).toBe(200);
  });

  it('approvals racing: three reviewers approving at the same moment issue exactly one grant', async () => {
    for (let i = 0; i < 4; i++) {
      const u = await app.user({ email: `race${i}@test.org` });
      const { id } = await (
        await post(`/datasets/${GATED}/access-requests`, u.token, requestBody(gatedVersion))
      ).json();
      const results = await Promise.all(
        [rev1, rev2, rev3].map((r) =>
          post(`/access-requests/${id}/reviews`, r.token, { decision: 'approve' }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      // Two reviews are counted (the second approves); the third finds the request decided.
      expect(statuses).toEqual([201, 201, 409]);
      const [{ n }] = await app.database.db
        .select({ n: count() })
        .from(grants)
        .where(eq(grants.requestId, id));
      expect(n).toBe(1);
      const r = await (await app.api(`/access-requests/${id}`, { token: u.token })).json();
      expect(r.status).toBe('approved');
    }
  });

  it('the public key is served to anyone', async () => {
    const res = await app.api('/keys');
    expect(res.status).toBe(200);
    expect((await res.json()).keys[0].kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
