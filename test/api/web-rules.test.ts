import { createMongoAbility, subject } from '@casl/ability';
import { type PackRule, unpackRules } from '@casl/ability/extra';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasets, grantees, grants, licenceVersions } from '../../db/schema/index.ts';
import type { AppAbility } from '../../policies/index.ts';
import { draftReleaseOf, newFileOf, newLicenceOf } from '../../policies/subject.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

interface Page {
  status: string;
  subject: { id: string; communityId: string; status: 'draft' | 'published' | 'withdrawn'; tier: never };
  can: Record<string, boolean>;
  releases: {
    subject: never;
    can: { addFile: boolean };
    files: { subject: never; can: { download: boolean } }[];
  }[];
}

/**
 * The web hides and shows controls from `GET /me`'s packed rules and the `subject` fields of each
 * object; here, for several callers and every seeded dataset, those answers equal the API's own `can`.
 */
describe('the packed rules of GET /me decide as the API does', () => {
  let app: TestApp;
  const callers: Record<string, string | undefined> = { anonymous: undefined };
  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
    callers.steward = (await app.user({ email: 'steward@example.org' })).token;
    callers.auditor = (await app.user({ email: 'auditor@example.org' })).token;
    callers.admin = (await app.user({ email: 'admin@example.org' })).token;
    callers['read-only steward token'] = (
      await app.user({ email: 'steward@example.org', scopes: ['read'] })
    ).token;
    const builder = await app.user({ email: 'builder@example.org' });
    callers['builder with a grant'] = builder.token;
    const [d] = await app.database.db.select().from(datasets).where(eq(datasets.slug, 'demo-oral-histories'));
    const [lv] = await app.database.db
      .select()
      .from(licenceVersions)
      .where(eq(licenceVersions.datasetId, d.id));
    const [g] = await app.database.db
      .insert(grants)
      .values({
        datasetId: d.id,
        kind: 'request',
        licenceVersionId: lv.id,
        expiresAt: new Date(Date.now() + 86_400_000),
      })
      .returning();
    await app.database.db.insert(grantees).values({ grantId: g.id, userId: builder.id });
  });
  afterAll(() => app?.stop());

  it.each(['anonymous', 'steward', 'auditor', 'admin', 'read-only steward token', 'builder with a grant'])(
    '%s',
    async (who) => {
      const token = callers[who];
      const me = (await (await app.api('/me', { token })).json()) as { rules: PackRule<never>[] };
      const ability = createMongoAbility(unpackRules(me.rules) as never) as AppAbility;
      const can = (action: string, name: string, fields: object) =>
        ability.can(action as never, subject(name as never, { ...fields }) as never);
      const slugs = ['demo-word-list', 'demo-oral-histories', 'demo-river-readings'];
      let downloads = 0;
      for (const slug of slugs) {
        const page = (await (await app.api(`/datasets/${slug}`, { token })).json()) as Page;
        const s = page.subject;
        expect(can('update', 'Dataset', s)).toBe(page.can.update);
        expect(can('publish', 'Dataset', s) && page.status !== 'published').toBe(page.can.publish);
        expect(can('withdraw', 'Dataset', s) && page.status === 'published').toBe(page.can.withdraw);
        expect(can('create', 'Release', draftReleaseOf(s))).toBe(page.can.createRelease);
        expect(can('create', 'LicenceVersion', newLicenceOf(s))).toBe(page.can.createLicence);
        for (const r of page.releases) {
          expect(can('create', 'File', newFileOf(r.subject))).toBe(r.can.addFile);
          for (const f of r.files) {
            expect(can('download', 'File', f.subject)).toBe(f.can.download);
            if (f.can.download) downloads++;
          }
        }
      }
      // Not vacuous: the callers differ in what they may download.
      expect(downloads).toBe(
        {
          anonymous: 2,
          steward: 4,
          auditor: 2,
          admin: 2,
          'read-only steward token': 0,
          'builder with a grant': 3,
        }[who],
      );
    },
  );
});
