import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, datasets } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

// The community's own words: kept exactly, line breaks, spacing and all.
const ncText = 'Kaua e hokona.\n  Not for sale — our elders ask that this stays out of commerce. ';
const labels = [
  { kind: 'TK', type: 'TK Non-Commercial', text: ncText },
  { kind: 'TK', type: 'TK Community Use Only', text: 'Within the iwi first.' },
  {
    kind: 'BC',
    type: 'BC Provenance',
    text: 'Collected on our river.',
    hubProjectId: '6b3c1a2e-52f1-4d6a-9d2e-7f1c7e0b9a10',
  },
  { kind: 'notice', type: 'Attribution Incomplete', text: 'Names of singers are missing.' },
];

describe('Local Contexts Labels and Notices on datasets, and the terms they suggest', () => {
  let app: TestApp;
  let steward: { token: string };
  let outsider: { token: string };

  beforeAll(async () => {
    app = await startTestApp();
    steward = await app.community('river', 'steward@test.org', 'River People');
    outsider = await app.user({ email: 'outsider@test.org' });
    await app.api('/datasets', {
      method: 'POST',
      token: steward.token,
      json: { community: 'river', slug: 'songs', title: 'Songs', tier: 'open' },
    });
    await app.api('/datasets/songs/publish', { method: 'POST', token: steward.token });
  }, 60_000);
  afterAll(() => app?.stop());

  const patch = (json: unknown, token = steward.token) =>
    app.api('/datasets/songs', { method: 'PATCH', token, json });
  const stored = async () =>
    (
      await app.database.db
        .select({ labels: datasets.labels })
        .from(datasets)
        .where(eq(datasets.slug, 'songs'))
    )[0].labels;

  it('the steward attaches labels; the dataset shows them exactly as the community wrote them', async () => {
    const res = await patch({ labels });
    expect(res.status).toBe(200);
    expect((await res.json()).labels).toEqual(labels);
    // Anyone reading the dataset sees the same words.
    expect((await (await app.api('/datasets/songs')).json()).labels).toEqual(labels);
    const [ev] = await app.database.db
      .select({ details: auditEvents.details })
      .from(auditEvents)
      .where(eq(auditEvents.action, 'dataset.updated'));
    expect(ev.details).toMatchObject({
      fields: ['labels'],
      labels: ['TK Non-Commercial', 'TK Community Use Only', 'BC Provenance', 'Attribution Incomplete'],
    });
    // The catalog's label filter finds it by the Local Contexts name.
    const list = await (await app.api(`/datasets?label=${encodeURIComponent('TK Non-Commercial')}`)).json();
    expect(list.items.map((i: { slug: string }) => i.slug)).toEqual(['songs']);
  });

  it('a type is written in its Local Contexts spelling whatever the spacing or case sent', async () => {
    const res = await patch({
      labels: [{ kind: 'TK', type: 'tk secret/sacred', text: 'Not for outsiders.' }],
    });
    expect(res.status).toBe(200);
    expect((await res.json()).labels).toEqual([
      { kind: 'TK', type: 'TK Secret / Sacred', text: 'Not for outsiders.' },
    ]);
  });

  it('an unknown type, a kind that is not the type’s, a duplicate or a missing text is 400 and changes nothing', async () => {
    await patch({ labels });
    const cases: [unknown[], string][] = [
      [[{ kind: 'TK', type: 'TK Free For All', text: 'x' }], 'unknown_label_type'],
      [[{ kind: 'TK', type: 'BC Provenance', text: 'x' }], 'label_kind_mismatch'],
      [
        [
          { kind: 'TK', type: 'TK Attribution', text: 'a' },
          { kind: 'TK', type: 'TK  attribution', text: 'b' },
        ],
        'duplicate_label',
      ],
      [[{ kind: 'TK', type: 'TK Attribution', text: '   ' }], 'validation_failed'],
      [[{ kind: 'XX', type: 'TK Attribution', text: 'a' }], 'validation_failed'],
    ];
    for (const [bad, code] of cases) {
      const res = await patch({ labels: bad });
      expect(res.status, code).toBe(400);
      expect((await res.json()).code).toBe(code);
    }
    expect(await stored()).toEqual(labels);
  });

  it('only the steward attaches labels', async () => {
    expect((await patch({ labels: [] }, outsider.token)).status).toBe(403);
    expect(await stored()).toEqual(labels);
  });

  it('labels suggest terms; a licence that carries them marks them satisfied', async () => {
    const get = async () => (await (await app.api('/datasets/songs/label-suggestions')).json()).items;
    expect(await get()).toEqual([
      { label: 'TK Non-Commercial', suggestion: { kind: 'prohibition', id: 'commercial' }, satisfied: false },
      { label: 'TK Community Use Only', suggestion: { kind: 'tier', atLeast: 'gated' }, satisfied: false },
      {
        label: 'BC Provenance',
        suggestion: { kind: 'reciprocity', term: { kind: 'attribute', timing: 'before-download' } },
        satisfied: false,
      },
    ]);
    // The steward confirms: a licence prohibiting commercial use with attribution, and a gated tier.
    const lic = await app.api('/datasets/songs/licences', {
      method: 'POST',
      token: steward.token,
      json: {
        base: 'CC-BY-NC-4.0',
        text: 'Research only.',
        purposes: ['research'],
        prohibitions: ['commercial'],
        reciprocity: [{ kind: 'attribute', timing: 'before-download' }],
      },
    });
    expect(lic.status).toBe(201);
    expect((await patch({ tier: 'gated' })).status).toBe(200);
    expect((await get()).map((s: { satisfied: boolean }) => s.satisfied)).toEqual([true, true, true]);
  });

  it('the vocabulary is served with what each label suggests', async () => {
    const { items } = await (await app.api('/local-contexts/labels')).json();
    const names = items.map((t: { name: string }) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'TK Attribution',
        'TK Non-Commercial',
        'TK Community Use Only',
        'TK Secret / Sacred',
        'TK Open to Collaboration',
        'BC Provenance',
        'BC Consent Verified',
        'TK Notice',
        'BC Notice',
        'Attribution Incomplete',
        'Open to Collaboration',
      ]),
    );
    expect(items.find((t: { name: string }) => t.name === 'TK Secret / Sacred').suggests).toEqual([
      { kind: 'tier', atLeast: 'closed' },
    ]);
  });

  it('a dataset the caller may not read has no suggestions to show (404)', async () => {
    await app.api('/datasets', {
      method: 'POST',
      token: steward.token,
      json: { community: 'river', slug: 'hidden', title: 'Hidden', tier: 'closed' },
    });
    expect((await app.api('/datasets/hidden/label-suggestions')).status).toBe(404);
  });
});
