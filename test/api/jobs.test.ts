import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, grantees, grants, licenceVersions, obligations } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const DAY = 86_400_000;

/** The periodic job with renewals: an at-end term of an ended grant never pauses the renewed grant. */
describe('jobs: at-end obligations and renewal', () => {
  let app: TestApp;
  let datasetId: string;
  let licenceId: string;
  let fileId: string;
  let steward: { id: string; token: string };
  let n = 0;

  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
    const page = await (await app.api('/datasets/demo-oral-histories')).json();
    datasetId = page.id;
    fileId = page.releases[0].files.find((x: { name: string }) => x.name === 'transcripts.txt').id;
    const [lv] = await app.database.db
      .insert(licenceVersions)
      .values({
        datasetId,
        version: 201,
        base: 'CC-BY-NC-4.0',
        text: 'Research only; delete at the end.',
        reciprocity: [
          { kind: 'delete-at-end', timing: 'at-end', evidence: 'text' },
          { kind: 'report-use', timing: 'after-grant', dueDays: 3, evidence: 'text' },
        ],
        maxGrantDays: 90,
      })
      .returning();
    licenceId = lv.id;
    steward = await app.user({ email: 'steward@example.org' });
  });
  afterAll(() => app?.stop());

  /** A grantee whose grant ended a minute ago, with an at-end term due then (in `atEnd`'s state). */
  async function endedGrant(atEnd: Partial<typeof obligations.$inferInsert> = {}) {
    const u = await app.user({ email: `ended${n++}@test.org` });
    const expiresAt = new Date(Date.now() - 60_000);
    const [g] = await app.database.db
      .insert(grants)
      .values({
        datasetId,
        kind: 'request',
        licenceVersionId: licenceId,
        startsAt: new Date(Date.now() - 30 * DAY),
        expiresAt,
      })
      .returning();
    await app.database.db.insert(grantees).values({ grantId: g.id, userId: u.id });
    const [o] = await app.database.db
      .insert(obligations)
      .values({ grantId: g.id, kind: 'delete-at-end', timing: 'at-end', dueAt: expiresAt, ...atEnd })
      .returning();
    return { user: u, grantId: g.id, obligationId: o.id };
  }
  const download = (token: string) => app.api(`/files/${fileId}/download`, { token });
  const renew = (grantId: string) =>
    app.api(`/grants/${grantId}/renew`, {
      method: 'POST',
      token: steward.token,
      json: { reason: 'Another month', days: 30 },
    });
  const obligation = async (id: string) =>
    (await app.database.db.select().from(obligations).where(eq(obligations.id, id)))[0];

  it('the job expires the grant but leaves its at-end term pending; a renewal restores downloads', async () => {
    const { user, grantId, obligationId } = await endedGrant();
    // A term of another kind past due on an ended grant is still marked overdue.
    const [late] = await app.database.db
      .insert(obligations)
      .values({
        grantId,
        kind: 'report-use',
        timing: 'after-grant',
        dueAt: new Date(Date.now() - 10 * DAY),
      })
      .returning();
    expect((await download(user.token)).status).toBe(403);
    const report = await app.jobs.runOnce();
    expect(report.led).toBe(true);
    const [g] = await app.database.db.select().from(grants).where(eq(grants.id, grantId));
    expect(g.status).toBe('expired');
    expect((await obligation(obligationId)).status).toBe('pending');
    expect((await obligation(late.id)).status).toBe('overdue');
    // The late report is met; the renewal moves the at-end term to the new end.
    await app.database.db.update(obligations).set({ status: 'waived' }).where(eq(obligations.id, late.id));
    const res = await renew(grantId);
    expect(res.status).toBe(200);
    const renewed = await res.json();
    expect(renewed.status).toBe('active');
    const atEnd = await obligation(obligationId);
    expect(atEnd).toMatchObject({ status: 'pending', dueAt: new Date(renewed.expiresAt) });
    expect((await download(user.token)).status).toBe(302);
    // Later runs change nothing: the term is due at the new end.
    await app.jobs.runOnce();
    expect((await obligation(obligationId)).status).toBe('pending');
    expect((await download(user.token)).status).toBe(302);
  });

  it('a renewal reopens an at-end term already marked overdue without evidence, not one with evidence', async () => {
    const bare = await endedGrant({ status: 'overdue' });
    expect((await renew(bare.grantId)).status).toBe(200);
    expect((await obligation(bare.obligationId)).status).toBe('pending');
    expect((await download(bare.user.token)).status).toBe(302);
    const [ev] = await app.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'grant.renewed'), eq(auditEvents.subjectId, bare.grantId)));
    expect(ev.details).toMatchObject({ to: 'active', obligationsReopened: [bare.obligationId] });

    // Evidence given: the steward verifies or rejects it; until then the grant stays paused.
    const given = await endedGrant({
      status: 'overdue',
      submittedAt: new Date(),
      evidence: { text: 'Deleted.' },
    });
    expect((await renew(given.grantId)).status).toBe(200);
    expect((await obligation(given.obligationId)).status).toBe('overdue');
    expect((await download(given.user.token)).status).toBe(403);
  });
});
