import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import {
  accessRequests,
  auditEvents,
  communities,
  datasets,
  derivedWorks,
  grantees,
  grants,
  licenceVersions,
  obligations,
  users,
} from '../../db/schema/index.ts';

const day = 86_400_000;
const at = (s: string) => new Date(s);

/** The people of the world: names and e-mails that must never reach the transparency page. */
export const people = {
  ana: { email: 'ana.aroha@uni-a.test', name: 'Ana Aroha', org: 'Universiteit A' },
  ben: { email: 'ben.bishop@lab-b.test', name: 'Ben Bishop', org: 'Lab B' },
  carl: { email: 'carl.castle@nowhere.test', name: 'Carl Castle', org: '=1+1' },
};
/** A free-text purpose (the requester's words), never shown publicly. */
export const secretPurpose = 'SECRET-PLAN-to-train-on-oral-histories';

/**
 * A seeded mix for the demo community (`demo-collective`, datasets `demo-oral-histories` and
 * `demo-river-readings`) over 2026-01-01 … 2026-06-30, with events just outside the period and in another
 * community. The expected figures are written out in the tests.
 */
export async function seedReportWorld(db: Db, ids: { ana: string; ben: string; carl: string }) {
  for (const k of ['ana', 'ben', 'carl'] as const)
    await db
      .update(users)
      .set({ homeOrganization: people[k].org, name: people[k].name })
      .where(eq(users.id, ids[k]));
  const ds = async (slug: string) => (await db.select().from(datasets).where(eq(datasets.slug, slug)))[0];
  const oral = await ds('demo-oral-histories');
  const river = await ds('demo-river-readings');
  const [other] = await db
    .insert(communities)
    .values({ slug: 'other-report-commons', name: 'Other' })
    .returning();
  const licence = async (datasetId: string) =>
    (await db.select().from(licenceVersions).where(eq(licenceVersions.datasetId, datasetId)))[0].id;
  const oralLicence = await licence(oral.id);
  const riverLicence = await licence(river.id);

  const download = (
    when: string,
    d: typeof oral,
    actorId: string | null,
    purpose: string | null,
    communityId = d.communityId,
  ) => ({
    at: at(when),
    actorType: actorId ? 'user' : 'anonymous',
    actorId,
    action: 'download.issued',
    communityId,
    datasetId: d.id,
    subjectType: 'File',
    subjectId: 'f',
    purpose,
    details: {},
  });
  await db.insert(auditEvents).values([
    download('2026-01-05T10:00:00Z', oral, ids.ana, 'research'),
    download('2026-01-06T10:00:00Z', oral, ids.ana, 'research'),
    download('2026-01-31T23:59:59Z', oral, ids.ana, 'research'),
    download('2026-02-10T10:00:00Z', river, ids.ben, 'ai-training'),
    download('2026-02-11T10:00:00Z', river, ids.ben, 'ai-training'),
    download('2026-03-03T10:00:00Z', river, null, null),
    download('2026-04-04T10:00:00Z', river, ids.carl, 'education'),
    download('2026-06-30T23:59:59Z', oral, ids.ana, 'research'),
    // Outside the period, or another community's: never counted.
    download('2026-07-01T00:00:00Z', oral, ids.ben, 'research'),
    download('2025-12-31T23:59:59Z', oral, ids.ben, 'research'),
    download('2026-02-10T10:00:00Z', river, ids.ben, 'research', other.id),
    // Not a download.
    { ...download('2026-02-10T10:00:00Z', river, ids.ben, 'research'), action: 'dataset.updated' },
  ]);

  const request = async (
    requesterId: string,
    d: typeof oral,
    status: 'approved' | 'denied' | 'submitted',
    created: string,
    decidedAfterHours: number | null,
    purposeCategory: string,
  ) => {
    const createdAt = at(created);
    const [r] = await db
      .insert(accessRequests)
      .values({
        datasetId: d.id,
        requesterId,
        purposeCategory,
        purposeDescription: secretPurpose,
        commercial: false,
        forProfit: false,
        licenceVersionId: d.id === oral.id ? oralLicence : riverLicence,
        licenceAcceptedAt: createdAt,
        status,
        statusChangedAt:
          decidedAfterHours === null
            ? createdAt
            : new Date(createdAt.getTime() + decidedAfterHours * 3600_000),
        matchResult: 'abstain',
        createdAt,
      })
      .returning();
    return r;
  };
  const r1 = await request(ids.ana, oral, 'approved', '2026-01-10T00:00:00Z', 24, 'research');
  const r2 = await request(ids.ben, river, 'approved', '2026-02-01T00:00:00Z', 48, 'ai-training');
  await request(ids.carl, oral, 'denied', '2026-03-01T00:00:00Z', 12, 'education');
  await request(ids.carl, river, 'submitted', '2026-04-01T00:00:00Z', null, 'education');
  await request(ids.ben, oral, 'approved', '2025-12-01T00:00:00Z', 1000, 'research');

  const grant = async (
    values: Partial<typeof grants.$inferInsert> & { datasetId: string; licenceVersionId: string },
    userId: string,
  ) => {
    const [g] = await db
      .insert(grants)
      .values({ kind: 'request', expiresAt: new Date(Date.now() + 30 * day), ...values })
      .returning();
    await db.insert(grantees).values({ grantId: g.id, userId });
    return g;
  };
  // Active (expires in 30 days), expired (its end passed though still marked active), revoked.
  const g1 = await grant(
    {
      datasetId: oral.id,
      licenceVersionId: oralLicence,
      requestId: r1.id,
      purposeCategory: 'research',
      startsAt: at('2026-01-11T00:00:00Z'),
      createdAt: at('2026-01-11T00:00:00Z'),
    },
    ids.ana,
  );
  const g2 = await grant(
    {
      datasetId: river.id,
      licenceVersionId: riverLicence,
      requestId: r2.id,
      purposeCategory: 'ai-training',
      startsAt: at('2026-02-03T00:00:00Z'),
      expiresAt: at('2026-03-01T00:00:00Z'),
      createdAt: at('2026-02-03T00:00:00Z'),
    },
    ids.ben,
  );
  await grant(
    {
      datasetId: river.id,
      licenceVersionId: riverLicence,
      kind: 'click_through',
      status: 'revoked',
      createdAt: at('2026-05-05T00:00:00Z'),
    },
    ids.carl,
  );
  await db.insert(obligations).values([
    {
      grantId: g1.id,
      kind: 'attribute',
      timing: 'after-grant',
      dueAt: new Date(Date.now() + 10 * day),
      createdAt: at('2026-01-11T00:00:00Z'),
    },
    {
      grantId: g1.id,
      kind: 'share-model',
      timing: 'after-grant',
      status: 'fulfilled',
      createdAt: at('2026-01-11T00:00:00Z'),
    },
    {
      grantId: g2.id,
      kind: 'report-use',
      timing: 'after-grant',
      dueAt: at('2026-02-15T00:00:00Z'),
      createdAt: at('2026-02-03T00:00:00Z'),
    },
  ]);
  await db.insert(derivedWorks).values([
    {
      grantId: g1.id,
      datasetId: oral.id,
      kind: 'model',
      title: 'Awa speech model',
      url: 'https://models.test/awa',
      registeredBy: ids.ana,
      createdAt: at('2026-05-01T00:00:00Z'),
    },
    {
      grantId: g1.id,
      datasetId: oral.id,
      kind: 'paper',
      title: 'Later paper',
      registeredBy: ids.ana,
      createdAt: at('2026-08-01T00:00:00Z'),
    },
  ]);
  await db.execute(sql`select 1`);
  return { oral, river };
}
