import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { odrlViolations } from '../helpers/odrl.ts';

describe('the demo seed writes a licence for each demo dataset', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
  });
  afterAll(() => app?.stop());

  it('each demo dataset carries licence version 1 with a valid Offer, published by the seed', async () => {
    const { items } = await (await app.api('/datasets')).json();
    expect(items).toHaveLength(3);
    const profile = await (await app.api('/odrl/profile.jsonld')).json();
    const bases: Record<string, string | null> = {};
    for (const { slug } of items) {
      const d = await (await app.api(`/datasets/${slug}`)).json();
      expect(d.licence, slug).toEqual({
        version: 1,
        offerUrl: `/api/v1/datasets/${slug}/licences/1/odrl.jsonld`,
      });
      const l = await (await app.api(`/datasets/${slug}/licences/1`)).json();
      bases[slug] = l.base;
      const offer = await (await fetch(`${app.url}${d.licence.offerUrl}`)).json();
      expect(odrlViolations(offer, profile), slug).toEqual([]);
    }
    expect(bases).toEqual({
      'demo-word-list': 'CC-BY-4.0',
      'demo-oral-histories': null,
      'demo-river-readings': 'CC-BY-NC-4.0',
    });
    const events = await app.database.db
      .select({ actorType: auditEvents.actorType })
      .from(auditEvents)
      .where(eq(auditEvents.action, 'licence.published'));
    expect(events).toEqual([{ actorType: 'system' }, { actorType: 'system' }, { actorType: 'system' }]);
  });
});
