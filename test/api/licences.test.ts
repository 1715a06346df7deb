import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentLicence } from '../../api/licences/licences.repo.ts';
import { auditEvents, datasets, licenceVersions } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { odrlViolations } from '../helpers/odrl.ts';

const licence = {
  base: 'CC-BY-NC-4.0',
  text: 'Use it for research; share your model back.',
  purposes: ['research', 'ai-training'],
  duo: ['DUO:0000042', 'DUO:0000046'],
  prohibitions: ['commercial', 'redistribution'],
  constraints: { geography: ['NZ', 'AU'] },
  reciprocity: [
    { kind: 'attribute', timing: 'before-download' },
    { kind: 'contribute-funds', timing: 'before-download', evidence: 'text' },
    { kind: 'share-model', timing: 'after-grant', dueDays: 90, evidence: 'link' },
    { kind: 'report-use', timing: 'every-n-months', everyMonths: 6 },
    { kind: 'delete-at-end', timing: 'at-end' },
  ],
  decision: { rule: 'quorum', k: 2, n: 3, veto: true },
  autoApprove: false,
  maxGrantDays: 365,
  fields: [
    { name: 'affiliation', label: 'Your institution', type: 'text', required: true },
    { name: 'role', label: 'Your role', type: 'choice', options: ['student', 'staff'] },
  ],
};

describe('licence versions', () => {
  let app: TestApp;
  let steward: { id: string; token: string };
  let outsider: { token: string };
  let auditor: { token: string };

  beforeAll(async () => {
    app = await startTestApp();
    steward = await app.community('c1', 's@test.org', 'River People');
    outsider = await app.user({ email: 'o@test.org' });
    auditor = await app.user({ email: 'a@test.org' });
    await app.api('/communities/c1/members', {
      method: 'POST',
      token: steward.token,
      json: { email: 'a@test.org', role: 'auditor' },
    });
    for (const [slug, tier] of [
      ['d1', 'gated'],
      ['draft', 'gated'],
      ['secret', 'restricted'],
    ]) {
      const res = await app.api('/datasets', {
        method: 'POST',
        token: steward.token,
        json: { community: 'c1', slug, title: slug.toUpperCase(), tier },
      });
      expect(res.status).toBe(201);
    }
    await app.api('/datasets/d1/publish', { method: 'POST', token: steward.token });
    await app.api('/datasets/secret/publish', { method: 'POST', token: steward.token });
  });
  afterAll(() => app?.stop());

  const counts = async () => {
    const db = app.database.db;
    return {
      licences: (await db.select({ n: count() }).from(licenceVersions))[0].n,
      audit: (await db.select({ n: count() }).from(auditEvents))[0].n,
    };
  };
  const post = (slug: string, body: unknown, token = steward.token) =>
    app.api(`/datasets/${slug}/licences`, { method: 'POST', token, json: body });

  it('a steward publishes version 1: 201, the dataset then carries it, and it is audited', async () => {
    const res = await post('d1', licence);
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/v1/datasets/d1/licences/1');
    const l = await res.json();
    expect(l).toMatchObject({
      version: 1,
      status: 'published',
      base: 'CC-BY-NC-4.0',
      purposes: ['research', 'ai-training'],
      prohibitions: ['commercial', 'redistribution'],
      decision: { rule: 'quorum', k: 2, n: 3, veto: true },
      maxGrantDays: 365,
      offerUrl: '/api/v1/datasets/d1/licences/1/odrl.jsonld',
    });
    expect(l.duo).toEqual([
      { id: 'DUO:0000042', code: 'GRU', label: 'general research use' },
      { id: 'DUO:0000046', code: 'NCU', label: 'non-commercial use only' },
    ]);
    expect(l.reciprocity).toHaveLength(5);
    expect(l.fields[1]).toMatchObject({ name: 'role', type: 'choice', options: ['student', 'staff'] });

    const d = await (await app.api('/datasets/d1')).json();
    expect(d.licence).toEqual({ version: 1, offerUrl: '/api/v1/datasets/d1/licences/1/odrl.jsonld' });
    const [e] = await app.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'licence.published'));
    expect(e).toMatchObject({ subjectType: 'LicenceVersion', actorId: steward.id });
    expect(e.details).toMatchObject({ version: 1, purposes: ['research', 'ai-training'] });
  });

  it('a change is a new version; the old one stays as it was', async () => {
    const res = await post('d1', { ...licence, text: 'Version two.', prohibitions: ['commercial'] });
    expect(res.status).toBe(201);
    expect((await res.json()).version).toBe(2);
    const v1 = await (await app.api('/datasets/d1/licences/1')).json();
    expect(v1).toMatchObject({
      version: 1,
      text: licence.text,
      prohibitions: ['commercial', 'redistribution'],
    });
    const list = await (await app.api('/datasets/d1/licences')).json();
    expect(list.items.map((x: { version: number }) => x.version)).toEqual([2, 1]);
    expect((await (await app.api('/datasets/d1')).json()).licence.version).toBe(2);
  });

  it('the database refuses to edit a published version, and allows withdrawing it', async () => {
    const db = app.database.db;
    await expect(
      db.update(licenceVersions).set({ text: 'sneaky' }).where(eq(licenceVersions.version, 1)),
    ).rejects.toThrow();
    const [v1] = await db.select().from(licenceVersions).where(eq(licenceVersions.version, 1));
    expect(v1.text).toBe(licence.text);
    await expect(
      db.update(licenceVersions).set({ purposes: sql`'{}'::text[]` }).where(eq(licenceVersions.id, v1.id)),
    ).rejects.toThrow();
  });

  it('currentLicence gives the latest published version, skipping withdrawn ones', async () => {
    const db = app.database.db;
    const [d1] = await db.select().from(datasets).where(eq(datasets.slug, 'd1'));
    const [draft] = await db.select().from(datasets).where(eq(datasets.slug, 'draft'));
    expect((await currentLicence(db, d1.id))?.version).toBe(2);
    expect(await currentLicence(db, draft.id)).toBeUndefined();

    const res = await app.api('/datasets/d1/licences/2/withdraw', { method: 'POST', token: steward.token });
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe('withdrawn');
    expect((await currentLicence(db, d1.id))?.version).toBe(1);
    expect((await (await app.api('/datasets/d1')).json()).licence.version).toBe(1);
    const again = await app.api('/datasets/d1/licences/2/withdraw', { method: 'POST', token: steward.token });
    expect(again.status).toBe(409);
    expect((await again.json()).code).toBe('licence_withdrawn');
    const n = await db
      .select({ n: count() })
      .from(auditEvents)
      .where(eq(auditEvents.action, 'licence.withdrawn'));
    expect(n[0].n).toBe(1);
  });

  it('anyone reads the licence of a published dataset; a draft’s is 404 to outsiders', async () => {
    expect((await app.api('/datasets/d1/licences/1')).status).toBe(200);
    expect((await post('draft', licence)).status).toBe(201);
    const anon = await app.api('/datasets/draft/licences/1');
    expect(anon.status).toBe(404);
    expect((await anon.json()).code).toBe('dataset_not_found');
    expect((await app.api('/datasets/draft/licences/1', { token: outsider.token })).status).toBe(404);
    expect((await app.api('/datasets/draft/licences/1/odrl.jsonld')).status).toBe(404);
    expect((await app.api('/datasets/draft/licences/1', { token: auditor.token })).status).toBe(200);
    const none = await app.api('/datasets/d1/licences/99');
    expect(none.status).toBe(404);
    expect((await none.json()).code).toBe('licence_not_found');
    expect((await app.api('/datasets/d1/licences/abc')).status).toBe(400);
  });

  it('only the community’s stewards publish: 401 anonymous, 403 readers, 404 where the dataset is hidden', async () => {
    const before = await counts();
    const anon = await app.api('/datasets/d1/licences', { method: 'POST', json: licence });
    expect(anon.status).toBe(401);
    const reader = await post('d1', licence, outsider.token);
    expect(reader.status).toBe(403);
    expect((await reader.json()).code).toBe('forbidden');
    expect((await post('d1', licence, auditor.token)).status).toBe(403);
    const hidden = await post('draft', licence, outsider.token);
    expect(hidden.status).toBe(404);
    expect((await hidden.json()).code).toBe('dataset_not_found');
    expect(
      (await app.api('/datasets/d1/licences/1/withdraw', { method: 'POST', token: outsider.token })).status,
    ).toBe(403);
    expect(await counts()).toEqual(before);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['unknown DUO code', { duo: ['DUO:9999999'] }, 'unknown_duo_code'],
    ['abstract DUO parent', { duo: ['DUO:0000001'] }, 'unknown_duo_code'],
    ['unknown purpose', { purposes: ['world-domination'] }, 'unknown_purpose'],
    ['disease purpose without MONDO id', { purposes: ['disease-specific'] }, 'unknown_purpose'],
    ['empty licence', { base: '', text: '   ' }, 'licence_empty'],
    ['unknown SPDX id', { base: 'CC-BY-5.0' }, 'unknown_spdx_id'],
    ['unknown prohibition', { prohibitions: ['fun'] }, 'unknown_prohibition'],
    [
      'unknown reciprocity kind',
      { reciprocity: [{ kind: 'give-cake', timing: 'at-end' }] },
      'unknown_reciprocity_kind',
    ],
    [
      'unknown reciprocity timing',
      { reciprocity: [{ kind: 'attribute', timing: 'someday' }] },
      'unknown_reciprocity_timing',
    ],
    [
      'after-grant term without dueDays',
      { reciprocity: [{ kind: 'share-model', timing: 'after-grant' }] },
      'reciprocity_timing_incomplete',
    ],
    ['quorum k > n', { decision: { rule: 'quorum', k: 3, n: 2 } }, 'invalid_quorum'],
    ['quorum k < 1', { decision: { rule: 'quorum', k: 0 } }, 'invalid_quorum'],
    [
      'duplicate form-field names',
      {
        fields: [
          { name: 'a', label: 'A', type: 'text' },
          { name: 'a', label: 'B', type: 'date' },
        ],
      },
      'duplicate_field_name',
    ],
    [
      'choice without options',
      { fields: [{ name: 'c', label: 'C', type: 'choice' }] },
      'choice_without_options',
    ],
    [
      'choice with empty options',
      { fields: [{ name: 'c', label: 'C', type: 'choice', options: [] }] },
      'choice_without_options',
    ],
    ['unknown field type', { fields: [{ name: 'c', label: 'C', type: 'colour' }] }, 'unknown_field_type'],
    ['maxGrantDays 0', { maxGrantDays: 0 }, 'max_grant_days_out_of_range'],
    ['maxGrantDays too long', { maxGrantDays: 100_000 }, 'max_grant_days_out_of_range'],
    ['maxGrantDays not whole', { maxGrantDays: 1.5 }, 'max_grant_days_out_of_range'],
    ['unknown country', { constraints: { geography: ['XX'] } }, 'unknown_country'],
    [
      'time window backwards',
      { constraints: { from: '2027-01-01', until: '2026-01-01' } },
      'invalid_time_window',
    ],
    ['an unknown field', { colour: 'red' }, 'validation_failed'],
  ];
  it.each(bad)('%s is 400 with a stable code and writes nothing', async (_name, change, code) => {
    const before = await counts();
    const res = await post('d1', { ...licence, ...change });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = await res.json();
    expect(body.code).toBe(code);
    expect(body.errors.length).toBeGreaterThan(0);
    expect(await counts()).toEqual(before);
  });

  it('auto-approval is refused for a restricted dataset', async () => {
    const before = await counts();
    const res = await post('secret', { ...licence, autoApprove: true });
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('auto_approve_not_allowed');
    expect(await counts()).toEqual(before);
    expect((await post('secret', { ...licence, autoApprove: false })).status).toBe(201);
  });

  it('the ODRL Offer follows the information model and says what the licence says', async () => {
    const res = await app.api('/datasets/d1/licences/1/odrl.jsonld');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/ld+json');
    const offer = await res.json();
    const profile = await (await app.api('/odrl/profile.jsonld')).json();
    expect(odrlViolations(offer, profile)).toEqual([]);

    const base = app.url;
    expect(offer['@type']).toBe('Offer');
    expect(offer.uid).toBe(`${base}/api/v1/datasets/d1/licences/1/odrl.jsonld`);
    expect(offer.profile).toBe(`${base}/api/v1/odrl/profile.jsonld`);
    expect(offer.assigner.uid).toBe(`${base}/api/v1/communities/c1`);
    const [permission] = offer.permission;
    expect(permission.action).toBe('use');
    const purpose = permission.constraint.find((c: { leftOperand: string }) => c.leftOperand === 'purpose');
    expect(purpose.operator).toBe('isAnyOf');
    expect(purpose.rightOperand.map((x: { '@id': string }) => x['@id'])).toEqual([
      'steward:research',
      'steward:ai-training',
      'http://purl.obolibrary.org/obo/DUO_0000042',
    ]);
    expect(permission.constraint).toContainEqual({
      leftOperand: 'elapsedTime',
      operator: 'lteq',
      rightOperand: { '@value': 'P365D', '@type': 'xsd:duration' },
    });
    expect(permission.constraint).toContainEqual({
      leftOperand: 'spatial',
      operator: 'isAnyOf',
      rightOperand: ['NZ', 'AU'],
    });
    // Before download: duties of the permission. After: obligations of the policy.
    expect(permission.duty.map((d: { action: string }) => d.action)).toEqual(['attribute', 'compensate']);
    expect(offer.prohibition.map((p: { action: string }) => p.action)).toEqual([
      'commercialize',
      'distribute',
    ]);
    const obligations = offer.obligation.map((o: { action: string }) => o.action);
    expect(obligations).toEqual(['steward:returnDerivedModel', 'inform', 'delete']);
    expect(offer.obligation[0].constraint).toEqual([
      {
        leftOperand: 'steward:daysAfterGrant',
        operator: 'lteq',
        rightOperand: { '@value': '90', '@type': 'xsd:integer' },
      },
    ]);
    expect(offer.obligation[1].constraint[0]).toMatchObject({
      leftOperand: 'timeInterval',
      rightOperand: { '@value': 'P6M' },
    });
  });

  it('the checker catches what the ODRL model forbids (so the check above means something)', async () => {
    const offer = await (await app.api('/datasets/d1/licences/1/odrl.jsonld')).json();
    const profile = await (await app.api('/odrl/profile.jsonld')).json();
    const broken = structuredClone(offer);
    delete broken.uid;
    broken.assigner = [broken.assigner, { uid: 'http://x.example/other' }];
    broken.permission[0].constraint[0].operator = 'eq';
    delete broken.prohibition[0].action;
    broken.obligation[0].action = 'steward:flyToTheMoon';
    const v = odrlViolations(broken, profile);
    expect(v).toEqual(
      expect.arrayContaining([
        expect.stringContaining('uid'),
        expect.stringContaining('assigner'),
        expect.stringContaining('list'),
        expect.stringContaining('action'),
        expect.stringContaining('steward:flyToTheMoon'),
      ]),
    );
    expect(
      odrlViolations({ ...offer, permission: [], prohibition: [], obligation: [] }, profile),
    ).toContainEqual(expect.stringContaining('at least one'));
  });

  it('templates are served, and each one is a licence that publishes and exports a valid Offer', async () => {
    const res = await app.api('/licence-templates');
    expect(res.status).toBe(200);
    const { items } = await res.json();
    expect(items.map((t: { id: string }) => t.id)).toEqual(
      expect.arrayContaining(['open-attribution', 'non-commercial-research', 'community-consent']),
    );
    const profile = await (await app.api('/odrl/profile.jsonld')).json();
    for (const t of items) {
      const created = await post('d1', t.licence);
      expect(created.status, t.id).toBe(201);
      const { offerUrl } = await created.json();
      const offer = await (await fetch(`${app.url}${offerUrl}`)).json();
      expect(odrlViolations(offer, profile), t.id).toEqual([]);
    }
    expect((await app.api('/licence-templates/community-consent')).status).toBe(200);
    expect((await app.api('/licence-templates/nope')).status).toBe(404);
  });

  it('the vocabulary and the OpenAPI document list what licences are written in', async () => {
    const v = await (await app.api('/purposes')).json();
    expect(v.purposes.map((p: { id: string }) => p.id)).toContain('ai-training');
    expect(v.duo.map((d: { code: string }) => d.code)).toContain('NCU');
    const doc = await (await app.api('/openapi.json')).json();
    for (const p of [
      '/datasets/{slug}/licences',
      '/datasets/{slug}/licences/{version}',
      '/datasets/{slug}/licences/{version}/odrl.jsonld',
      '/licence-templates',
      '/odrl/profile.jsonld',
    ])
      expect(doc.paths[p], p).toBeDefined();
  });
});
