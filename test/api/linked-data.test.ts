import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import jsonld from 'jsonld';
import { Parser, Store } from 'n3';
import SHACLValidator from 'rdf-validate-shacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasets } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/** The official DCAT-AP 3.0.1 shapes (copied from ../shared/standards, which CI does not have). */
const shapes = new Store(
  new Parser().parse(readFileSync(new URL('../fixtures/dcat-ap-3.0.1-SHACL.ttl', import.meta.url), 'utf8')),
);
const SH = 'http://www.w3.org/ns/shacl#';

/** The sh:Violation results of validating a JSON-LD document against the DCAT-AP 3 shapes. */
async function dcatViolations(doc: object) {
  const nquads = (await jsonld.toRDF(doc as jsonld.JsonLdDocument, {
    format: 'application/n-quads',
  })) as string;
  const data = new Store(new Parser({ format: 'N-Quads' }).parse(nquads));
  expect(data.size).toBeGreaterThan(0);
  const report = await new SHACLValidator(shapes).validate(data);
  return report.results
    .filter((r) => r.severity?.value === `${SH}Violation`)
    .map((r) => `${r.focusNode?.value} ${r.path?.value}: ${r.message.map((m) => m.value).join('; ')}`);
}

type Node = Record<string, unknown>;

/** A node's values for a compact key, as a list. */
const all = (n: Node, k: string) => {
  const v = n[k];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

describe('linked data: DCAT-AP 3 catalog and Croissant', () => {
  let app: TestApp;
  let steward: { token: string };
  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
    steward = await app.user({ email: 'steward@example.org' });
  });
  afterAll(() => app?.stop());

  const catalog = async () => {
    // The SHACL check blocks this process (server included) for seconds; a kept-alive socket the server
    // timed out meanwhile is reset on reuse, so a reset is retried once on a fresh connection.
    const res = await app.api('/catalog/dcat.jsonld').catch(() => app.api('/catalog/dcat.jsonld'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    return (await res.json()) as Node;
  };
  const datasetsOf = (c: Node) => all(c, 'dcat:dataset') as Node[];

  it('the seeded catalog validates against the DCAT-AP 3 shapes with no violation', async () => {
    const c = await catalog();
    expect(c['@type']).toBe('dcat:Catalog');
    expect(datasetsOf(c).map((d) => d['dct:identifier'])).toEqual([
      'demo-oral-histories',
      'demo-river-readings',
      'demo-word-list',
    ]);
    expect(await dcatViolations(c)).toEqual([]);
  });

  it('the check bites: a dataset without dct:title is a violation', async () => {
    const c = await catalog();
    delete datasetsOf(c)[0]['dct:title'];
    const v = await dcatViolations(c);
    expect(v.some((x) => x.includes('http://purl.org/dc/terms/title'))).toBe(true);
  });

  it('a dataset carrying every optional field validates, with what DCAT-AP asks of each', async () => {
    await app.database.db
      .update(datasets)
      .set({
        keywords: ['rivers', 'water'],
        languages: ['en', 'mi-NZ'],
        spatialCoverage: 'Whanganui River, Aotearoa New Zealand',
        temporalCoverage: { start: '2020-01-01', end: '2025-12' },
        provenance: {
          sources: ['community monitors'],
          collectionMethod: 'Monthly sampling',
          consentBasis: 'Community consent',
        },
        responsibleAi: {
          biases: 'Five sites only.',
          limitations: 'Monthly, not continuous.',
          sensitiveInformation: 'None.',
          intendedUses: 'Environmental research.',
          socialImpact: 'Supports river care.',
        },
        trainAi: false,
      })
      .where(eq(datasets.slug, 'demo-river-readings'));
    const c = await catalog();
    expect(await dcatViolations(c)).toEqual([]);
    const d = datasetsOf(c).find((x) => x['dct:identifier'] === 'demo-river-readings')!;
    expect(d['dct:publisher']).toMatchObject({ '@type': 'foaf:Agent', 'foaf:name': expect.any(String) });
    expect(d['dct:title']).toEqual({ '@value': 'River water-quality readings', '@language': 'en' });
    expect(all(d, 'dct:language').map((l) => (l as Node)['@id'])).toEqual([
      'http://publications.europa.eu/resource/authority/language/ENG',
      'http://publications.europa.eu/resource/authority/language/MRI',
    ]);
    expect(d['dct:accessRights']).toMatchObject({
      '@id': 'http://publications.europa.eu/resource/authority/access-right/RESTRICTED',
    });
    expect(d['dct:spatial']).toMatchObject({ '@type': 'dct:Location' });
    expect(d['dct:temporal']).toMatchObject({
      'dcat:startDate': { '@value': '2020-01-01', '@type': 'xsd:date' },
      'dcat:endDate': { '@value': '2025-12', '@type': 'xsd:gYearMonth' },
    });
    expect((d['odrl:hasPolicy'] as Node)['@id']).toMatch(
      /\/api\/v1\/datasets\/demo-river-readings\/licences\/1\/odrl\.jsonld$/,
    );
    const [dist] = all(d, 'dcat:distribution') as Node[];
    expect(dist['dcat:accessURL']).toEqual({ '@id': `${app.url}/datasets/demo-river-readings` });
    // Registered tier: no direct download URL in the catalog.
    expect(dist['dcat:downloadURL']).toBeUndefined();
    expect(dist['dcat:byteSize']).toMatchObject({ '@type': 'xsd:nonNegativeInteger' });
    expect(dist['spdx:checksum']).toMatchObject({
      'spdx:checksumValue': { '@value': expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(dist['dct:license']).toEqual({
      '@id': 'http://spdx.org/licenses/CC-BY-NC-4.0',
      '@type': 'dct:LicenseDocument',
    });
  });

  it('open files carry the gate as dcat:downloadURL; gated ones do not', async () => {
    const c = await catalog();
    const oral = datasetsOf(c).find((x) => x['dct:identifier'] === 'demo-oral-histories')!;
    const byTitle = Object.fromEntries(
      (all(oral, 'dcat:distribution') as Node[]).map((x) => [(x['dct:title'] as Node)['@value'], x]),
    );
    expect((byTitle['sample.txt']['dcat:downloadURL'] as Node)['@id']).toMatch(
      new RegExp(`^${app.url}/api/v1/files/[0-9a-f-]{36}/download$`),
    );
    expect(byTitle['transcripts.txt']['dcat:downloadURL']).toBeUndefined();
  });

  it('exports exactly what an anonymous caller may read, even to a steward: no drafts, no closed datasets', async () => {
    const page = await (await app.api('/datasets/demo-word-list')).json();
    for (const [slug, values] of [
      ['ld-draft', { status: 'draft' as const }],
      ['ld-closed', { status: 'published' as const, tier: 'closed' as const }],
    ] as const)
      await app.database.db.insert(datasets).values({
        communityId: page.subject.communityId,
        slug,
        title: slug,
        ...values,
      });
    for (const token of [undefined, steward.token]) {
      const res = await app.api('/catalog/dcat.jsonld', { token });
      const ids = datasetsOf(await res.json()).map((d) => d['dct:identifier']);
      expect(ids).not.toContain('ld-draft');
      expect(ids).not.toContain('ld-closed');
      expect(ids).toHaveLength(3);
    }
  });

  it('pages the catalog: hydra:next and Link rel="next" lead on, a page validates, together they are the catalog', async () => {
    const whole = datasetsOf(await catalog()).map((d) => d['dct:identifier']);
    expect(whole.length).toBeGreaterThanOrEqual(3);
    const seen: unknown[] = [];
    let url: string | null = '/catalog/dcat.jsonld?limit=2';
    let pages = 0;
    while (url && pages < 10) {
      const res = await app.api(url);
      expect(res.status).toBe(200);
      const c = (await res.json()) as Node;
      expect(c['@id']).toBe(`${app.url}/api/v1/catalog/dcat.jsonld`); // the catalog, whatever the page
      const ids = datasetsOf(c).map((d) => d['dct:identifier']);
      expect(ids.length).toBeLessThanOrEqual(2);
      seen.push(...ids);
      const view = c['hydra:view'] as Node;
      expect(view['@type']).toBe('hydra:PartialCollectionView');
      expect(view['hydra:first']).toEqual({ '@id': `${app.url}/api/v1/catalog/dcat.jsonld?limit=2` });
      const next = (view['hydra:next'] as Node | undefined)?.['@id'] as string | undefined;
      if (pages === 0) {
        expect(next).toBeDefined();
        expect(await dcatViolations(c)).toEqual([]);
      }
      expect(res.headers.get('link')).toBe(next ? `<${next}>; rel="next"` : null);
      url = next ? next.slice(`${app.url}/api/v1`.length) : null;
      pages++;
    }
    expect(pages).toBe(Math.ceil(whole.length / 2));
    expect(seen).toEqual(whole);
    // The default page holds them all here: no next.
    expect((await catalog())['hydra:view']).toEqual({
      '@id': `${app.url}/api/v1/catalog/dcat.jsonld`,
      '@type': 'hydra:PartialCollectionView',
      'hydra:first': { '@id': `${app.url}/api/v1/catalog/dcat.jsonld` },
    });
    for (const [query, code] of [
      ['cursor=not-a-cursor', 'invalid_cursor'],
      [`cursor=${Buffer.from('{"s":1}').toString('base64url')}`, 'invalid_cursor'],
      ['limit=0', 'validation_failed'],
      ['limit=1001', 'validation_failed'],
    ]) {
      const res = await app.api(`/catalog/dcat.jsonld?${query}`);
      expect(res.status, query).toBe(400);
      expect((await res.json()).code).toBe(code);
    }
  });

  it('Croissant 1.1 + RAI: the required properties, and contentUrl is the stable gate, never signed', async () => {
    const res = await app.api('/datasets/demo-river-readings/croissant.jsonld');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    const cr = (await res.json()) as Node;
    const ctx = cr['@context'] as Node;
    expect(ctx['@vocab']).toBe('https://schema.org/');
    expect(ctx.cr).toBe('http://mlcommons.org/croissant/');
    expect(ctx.rai).toBe('http://mlcommons.org/croissant/RAI/');
    expect(cr['@type']).toBe('sc:Dataset');
    expect(cr.conformsTo).toEqual([
      'http://mlcommons.org/croissant/1.1',
      'http://mlcommons.org/croissant/RAI/1.0',
    ]);
    for (const k of ['name', 'description', 'license', 'url', 'creator', 'publisher', 'datePublished'])
      expect(cr[k], k).toBeTruthy();
    expect(cr.license).toEqual([
      `${app.url}/api/v1/datasets/demo-river-readings/licences/1/odrl.jsonld`,
      'http://spdx.org/licenses/CC-BY-NC-4.0',
    ]);
    expect(cr.url).toBe(`${app.url}/datasets/demo-river-readings`);
    expect(cr).toMatchObject({
      'rai:dataBiases': 'Five sites only.',
      'rai:dataLimitations': 'Monthly, not continuous.',
      'rai:personalSensitiveInformation': 'None.',
      'rai:dataUseCases': 'Environmental research.',
      'rai:dataSocialImpact': 'Supports river care.',
      'rai:dataCollection': expect.stringContaining('Monthly sampling'),
    });
    const [file] = all(cr, 'distribution') as Node[];
    expect(file).toMatchObject({
      '@type': 'cr:FileObject',
      name: 'readings.csv',
      encodingFormat: 'text/csv',
      contentSize: expect.stringMatching(/^\d+ B$/),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(file.contentUrl).toMatch(new RegExp(`^${app.url}/api/v1/files/[0-9a-f-]{36}/download$`));
    // As the steward sees it too (who could download, so a signed URL would be at hand).
    const mine = await (
      await app.api('/datasets/demo-oral-histories/croissant.jsonld', { token: steward.token })
    ).text();
    expect(mine).not.toMatch(/X-Amz-Signature/i);
    expect(JSON.stringify(cr)).not.toMatch(/X-Amz-Signature/i);
    // It expands as JSON-LD (the context is inline: nothing fetched).
    const expanded = await jsonld.expand(cr as jsonld.JsonLdDocument);
    expect(JSON.stringify(expanded)).toContain('http://mlcommons.org/croissant/RAI/dataBiases');
  });

  it('Croissant of a dataset the caller may not read is 404', async () => {
    expect((await app.api('/datasets/ld-draft/croissant.jsonld')).status).toBe(404);
    expect((await app.api('/datasets/no-such/croissant.jsonld')).status).toBe(404);
  });

  it('a dataset web page carries schema.org Dataset JSON-LD in the served HTML (no JavaScript needed)', async () => {
    const jsonLdOf = async (path: string) => {
      const res = await fetch(`${app.url}${path}`, { headers: { accept: 'text/html' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await res.text();
      expect(html).toContain('<div'); // the web app itself
      const m = html.match(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/);
      return m ? JSON.parse(m[1]) : undefined;
    };
    const meta = await (await app.api('/datasets/demo-word-list')).json();
    const ld = await jsonLdOf('/datasets/demo-word-list');
    expect(ld).toMatchObject({
      '@context': 'https://schema.org/',
      '@type': 'Dataset',
      name: meta.title,
      url: `${app.url}/datasets/demo-word-list`,
      creator: { '@type': 'Organization', name: 'Demo Language Collective' },
    });
    const file = meta.releases[0].files[0];
    expect(ld.distribution).toContainEqual(
      expect.objectContaining({
        contentUrl: `${app.url}/api/v1/files/${file.id}/download`,
        sha256: file.sha256,
      }),
    );
    expect(ld.subjectOf.url).toBe(`${app.url}/api/v1/datasets/demo-word-list/croissant.jsonld`);
    // Nothing signed, nothing about drafts or closed data: those pages are the bare app.
    expect(JSON.stringify(ld)).not.toContain('X-Amz-Signature');
    expect(await jsonLdOf('/datasets/ld-draft')).toBeUndefined();
    expect(await jsonLdOf('/datasets/ld-closed')).toBeUndefined();
    expect(await jsonLdOf('/datasets/no-such-dataset')).toBeUndefined();
    expect(await jsonLdOf('/datasets/Not%20A%20Slug')).toBeUndefined();
  });
});
