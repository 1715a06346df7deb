import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasets } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * AI-preference signals (DOMAIN.md, "Signals and metadata") over a mix of datasets:
 *   demo-word-list       open,       train-ai unset → not reserved
 *   demo-oral-histories  gated,      train-ai=y     → reserved (tier), its open sample file not reserved
 *   demo-river-readings  registered, train-ai=n     → reserved
 *   sig-open-no-train    open,       train-ai=n     → reserved (the steward said so), no licence
 *   sig-draft            draft                      → never listed
 *   sig-closed           closed                     → never listed
 */
describe('AI-preference signals', () => {
  let app: TestApp;
  let steward: { token: string };
  const offer = (slug: string) => `${app.url}/api/v1/datasets/${slug}/licences/1/odrl.jsonld`;
  const fileId: Record<string, string> = {};

  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
    steward = await app.user({ email: 'steward@example.org' });
    const db = app.database.db;
    await db.update(datasets).set({ trainAi: true }).where(eq(datasets.slug, 'demo-oral-histories'));
    await db.update(datasets).set({ trainAi: false }).where(eq(datasets.slug, 'demo-river-readings'));
    const page = await (await app.api('/datasets/demo-word-list')).json();
    const communityId = page.subject.communityId;
    await db.insert(datasets).values([
      { communityId, slug: 'sig-open-no-train', title: 'No training', status: 'published', trainAi: false },
      { communityId, slug: 'sig-draft', title: 'Draft', status: 'draft', trainAi: false },
      {
        communityId,
        slug: 'sig-closed',
        title: 'Closed',
        status: 'published',
        tier: 'closed',
        trainAi: false,
      },
    ]);
    for (const slug of ['demo-word-list', 'demo-oral-histories', 'demo-river-readings']) {
      const d = await (await app.api(`/datasets/${slug}`)).json();
      for (const f of d.releases[0].files) fileId[f.name] = f.id;
    }
  });
  afterAll(() => app?.stop());

  const signals = (res: Response) => ({
    'tdm-reservation': res.headers.get('tdm-reservation'),
    'tdm-policy': res.headers.get('tdm-policy'),
    'content-usage': res.headers.get('content-usage'),
    link: res.headers.get('link'),
  });

  it('the dataset JSON carries the signals of its train-ai preference and tier', async () => {
    expect(signals(await app.api('/datasets/demo-word-list'))).toEqual({
      'tdm-reservation': '0',
      'tdm-policy': null,
      'content-usage': null,
      link: `<${offer('demo-word-list')}>; rel="license"`,
    });
    expect(signals(await app.api('/datasets/demo-oral-histories'))).toEqual({
      'tdm-reservation': '1',
      'tdm-policy': offer('demo-oral-histories'),
      'content-usage': 'train-ai=y',
      link: `<${offer('demo-oral-histories')}>; rel="license"`,
    });
    expect(signals(await app.api('/datasets/demo-river-readings'))).toEqual({
      'tdm-reservation': '1',
      'tdm-policy': offer('demo-river-readings'),
      'content-usage': 'train-ai=n',
      link: `<${offer('demo-river-readings')}>; rel="license"`,
    });
    expect(signals(await app.api('/datasets/sig-open-no-train'))).toEqual({
      'tdm-reservation': '1',
      'tdm-policy': null,
      'content-usage': 'train-ai=n',
      link: null,
    });
  });

  it('the web app’s dataset page carries them too; a draft’s page carries none', async () => {
    const html = (path: string) => fetch(`${app.url}${path}`, { headers: { accept: 'text/html' } });
    const page = await html('/datasets/demo-river-readings');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(signals(page)).toEqual(signals(await app.api('/datasets/demo-river-readings')));
    expect(signals(await html('/datasets/sig-draft'))).toEqual({
      'tdm-reservation': null,
      'tdm-policy': null,
      'content-usage': null,
      link: null,
    });
  });

  it('Croissant carries the same signals as the dataset JSON', async () => {
    for (const slug of ['demo-word-list', 'demo-river-readings', 'sig-open-no-train']) {
      const json = signals(await app.api(`/datasets/${slug}`));
      expect(signals(await app.api(`/datasets/${slug}/croissant.jsonld`)), slug).toEqual(json);
    }
  });

  it('the download gate sends them on the 302 and on the JSON answer, from the file’s own tier', async () => {
    const open = await app.api(`/files/${fileId['words.csv']}/download`);
    expect(open.status).toBe(302);
    expect(open.headers.get('location')).toMatch(/X-Amz-Signature/);
    expect(signals(open)).toEqual({
      'tdm-reservation': '0',
      'tdm-policy': null,
      'content-usage': null,
      link: `<${offer('demo-word-list')}>; rel="license"`,
    });
    // The open sample of the gated set: open tier, but the steward's train-ai=y still stated.
    const sample = await app.api(`/files/${fileId['sample.txt']}/download`, {
      headers: { accept: 'application/json' },
    });
    expect(sample.status).toBe(200);
    expect((await sample.json()).url).toMatch(/X-Amz-Signature/);
    expect(signals(sample)).toMatchObject({ 'tdm-reservation': '0', 'content-usage': 'train-ai=y' });
    // A gated file, fetched by the community's steward with a bearer token (the token read path).
    const gated = await app.api(`/files/${fileId['transcripts.txt']}/download`, { token: steward.token });
    expect(gated.status).toBe(302);
    expect(signals(gated)).toEqual({
      'tdm-reservation': '1',
      'tdm-policy': offer('demo-oral-histories'),
      'content-usage': 'train-ai=y',
      link: `<${offer('demo-oral-histories')}>; rel="license"`,
    });
    const json = await app.api(`/files/${fileId['readings.csv']}/download`, {
      token: steward.token,
      headers: { accept: 'application/json' },
    });
    expect(json.status).toBe(200);
    expect(signals(json)).toMatchObject({ 'tdm-reservation': '1', 'content-usage': 'train-ai=n' });
  });

  it('/.well-known/tdmrep.json lists every public dataset path with its reservation and policy', async () => {
    const res = await fetch(`${app.url}/.well-known/tdmrep.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const rules = (await res.json()) as {
      location: string;
      'tdm-reservation': number;
      'tdm-policy'?: string;
    }[];
    const at = (location: string) => rules.find((r) => r.location === location);
    expect(at('/datasets/demo-word-list')).toEqual({
      location: '/datasets/demo-word-list',
      'tdm-reservation': 0,
    });
    expect(at('/api/v1/datasets/demo-river-readings/*')).toEqual({
      location: '/api/v1/datasets/demo-river-readings/*',
      'tdm-reservation': 1,
      'tdm-policy': offer('demo-river-readings'),
    });
    expect(at('/api/v1/datasets/demo-oral-histories')).toMatchObject({ 'tdm-reservation': 1 });
    expect(at('/datasets/sig-open-no-train')).toEqual({
      location: '/datasets/sig-open-no-train',
      'tdm-reservation': 1,
    });
    expect(at(`/api/v1/files/${fileId['sample.txt']}/download`)).toMatchObject({ 'tdm-reservation': 0 });
    expect(at(`/api/v1/files/${fileId['transcripts.txt']}/download`)).toMatchObject({ 'tdm-reservation': 1 });
    const text = JSON.stringify(rules);
    expect(text).not.toContain('sig-draft');
    expect(text).not.toContain('sig-closed');
  });

  it('robots.txt allows the catalog and keeps AI training crawlers off reserved datasets only', async () => {
    const res = await fetch(`${app.url}/robots.txt`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await res.text();
    const [all, ai] = body.split(/\n\n(?=User-agent: GPTBot)/);
    expect(all).toContain('User-agent: *\nAllow: /api/v1/catalog/');
    expect(all).toContain('Disallow: /api/v1/files/');
    expect(all).not.toMatch(/Disallow: \/datasets\//);
    expect(all).toContain('Content-Usage: /datasets/demo-river-readings$ train-ai=n');
    expect(all).toContain('Content-Usage: /datasets/demo-oral-histories$ train-ai=y');
    expect(all).not.toContain('Content-Usage: /datasets/demo-word-list');
    for (const agent of ['GPTBot', 'ClaudeBot', 'Google-Extended', 'CCBot'])
      expect(ai).toContain(`User-agent: ${agent}\n`);
    expect(ai).toContain('Allow: /api/v1/catalog/');
    for (const slug of ['demo-river-readings', 'demo-oral-histories', 'sig-open-no-train']) {
      expect(ai).toContain(`Disallow: /datasets/${slug}$`);
      expect(ai).toContain(`Disallow: /api/v1/datasets/${slug}/`);
    }
    expect(ai).not.toContain('demo-word-list');
    expect(body).not.toContain('sig-draft');
    expect(body).not.toContain('sig-closed');
  });
});
