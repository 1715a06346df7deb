import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jobs, MAIL_BATCH, MAIL_LEASE_SECONDS, runJobs } from '../../api/jobs/jobs.ts';
import type { Mail, Mailer } from '../../api/jobs/mailer.ts';
import * as outbox from '../../api/notifications/notifications.repo.ts';
import {
  auditEvents,
  grantees,
  grants,
  licenceVersions,
  notifications,
  obligations,
} from '../../db/schema/index.ts';
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

/** The e-mail outbox: leases from the database's clock, held by a token; a stop ends the run between mails. */
describe('jobs: the e-mail outbox', () => {
  let app: TestApp;
  let userId: string;
  let n = 0;

  beforeAll(async () => {
    app = await startTestApp();
    userId = (await app.user({ email: 'reader@test.org' })).id;
  });
  afterAll(() => app?.stop());

  /** `count` unsent notifications; earlier ones are marked sent first, so each test sees its own only. */
  async function queue(count: number) {
    await app.database.db.update(notifications).set({ emailedAt: new Date() });
    const rows = await app.database.db
      .insert(notifications)
      .values(
        Array.from({ length: count }, () => ({
          userId,
          kind: 'request.approved',
          subjectType: 'AccessRequest',
          subjectId: crypto.randomUUID(),
          title: `Notice ${n++}`,
          body: 'Body.',
          link: '/inbox',
        })),
      )
      .returning({ id: notifications.id });
    return rows.map((r) => r.id);
  }
  const rows = (ids: string[]) =>
    app.database.db.select().from(notifications).where(inArray(notifications.id, ids));
  const minutes = (m: number) => new Date(Date.now() + m * 60_000);
  /** A mailer that keeps what it sends; `onSend` runs inside each send. */
  const fakeMailer = (onSend: (mail: Mail, i: number) => Promise<void> | void = () => {}) => {
    const sent: Mail[] = [];
    const mailer: Mailer = {
      async send(mail) {
        sent.push(mail);
        await onSend(mail, sent.length - 1);
      },
      close() {},
    };
    return { sent, mailer };
  };

  it('a claim is leased from the database clock, not from the time the run started', async () => {
    const ids = await queue(2);
    // A run that started ten minutes ago claims them now: the lease runs two minutes from now.
    const first = await outbox.claimOutbox(app.database.db, minutes(-10), 10, MAIL_LEASE_SECONDS);
    expect(first.map((c) => c.n.id).sort()).toEqual([...ids].sort());
    for (const c of first) {
      expect(c.lease.getTime()).toBeGreaterThan(Date.now() + (MAIL_LEASE_SECONDS - 30) * 1000);
    }
    // So a run starting now finds them taken.
    expect(await outbox.claimOutbox(app.database.db, new Date(), 10, MAIL_LEASE_SECONDS)).toEqual([]);
  });

  it('a claimer whose lease was taken over records nothing over the new holder', async () => {
    const [id] = await queue(1);
    const [stale] = await outbox.claimOutbox(app.database.db, new Date(), 10, MAIL_LEASE_SECONDS);
    // Its lease passes (a run three minutes on): another process claims the row.
    const [fresh] = await outbox.claimOutbox(app.database.db, minutes(3), 10, MAIL_LEASE_SECONDS);
    expect(fresh.n.id).toBe(id);
    expect(fresh.n.emailAttempts).toBe(2);
    await new Promise((r) => setTimeout(r, 5));
    expect(await outbox.renewLease(app.database.db, id, stale.lease, MAIL_LEASE_SECONDS)).toBeUndefined();
    expect(await outbox.markEmailed(app.database.db, id, stale.lease, new Date())).toBe(false);
    expect(await outbox.markEmailFailed(app.database.db, id, stale.lease, minutes(1), 'late')).toBe(false);
    const [held] = await rows([id]);
    expect(held).toMatchObject({ emailedAt: null, emailError: null, emailNextAt: fresh.lease });
    // The holder renews and records.
    const renewed = await outbox.renewLease(app.database.db, id, fresh.lease, MAIL_LEASE_SECONDS);
    expect(renewed).toBeInstanceOf(Date);
    expect(await outbox.markEmailed(app.database.db, id, fresh.lease, new Date())).toBe(false);
    expect(await outbox.markEmailed(app.database.db, id, renewed!, new Date())).toBe(true);
    expect((await rows([id]))[0].emailedAt).toBeInstanceOf(Date);
  });

  it('messages taken over while the run stalled in a send are neither sent nor marked by it', async () => {
    const ids = await queue(3);
    let taken: Awaited<ReturnType<typeof outbox.claimOutbox>> = [];
    const warnings: string[] = [];
    const { sent, mailer } = fakeMailer(async (_mail, i) => {
      // The first send stalls past the leases: another process (its clock past them) claims all three,
      // the one in flight too. A few ms first: leases are compared at millisecond precision, and a real
      // takeover comes minutes after the renewal, never within the same millisecond (a flake in CI).
      if (i === 0) {
        await new Promise((r) => setTimeout(r, 5));
        taken = await outbox.claimOutbox(app.database.db, minutes(3), 10, MAIL_LEASE_SECONDS);
      }
    });
    const report = await runJobs(app.database.db, {
      mailer,
      publicUrl: app.url,
      logger: { warn: (_o: unknown, msg: string) => warnings.push(msg), error: () => {} } as never,
    });
    expect(taken.map((t) => t.n.id).sort()).toEqual([...ids].sort());
    expect(sent).toHaveLength(1);
    expect(report).toMatchObject({ emailed: 1, emailFailed: 0, emailSkipped: 2 });
    expect(warnings).toEqual([expect.stringMatching(/may send it again/)]);
    // The new holder's claims are untouched: none is marked sent, each keeps its lease.
    const after = await rows(ids);
    for (const t of taken)
      expect(after.find((r) => r.id === t.n.id)).toMatchObject({ emailedAt: null, emailNextAt: t.lease });
  });

  it('stopping the jobs ends the run between messages and gives back what it did not try', async () => {
    const ids = await queue(MAIL_BATCH + 5);
    let release!: () => void;
    let started!: () => void;
    const inFirstSend = new Promise<void>((r) => {
      started = r;
    });
    const { sent, mailer } = fakeMailer((_mail, i) => {
      if (i > 0) return;
      started();
      return new Promise<void>((r) => {
        release = r;
      });
    });
    const jobs = new Jobs(app.database.db, { intervalMs: 0, mailer, publicUrl: app.url });
    const run = jobs.runOnce();
    await inFirstSend;
    const stopped = jobs.stop();
    release();
    await stopped;
    expect((await run).emailed).toBe(1);
    expect(sent).toHaveLength(1);
    const after = await rows(ids);
    expect(after.filter((r) => r.emailedAt)).toHaveLength(1);
    // The rest of the claimed batch is free again, its attempt uncounted; the unclaimed were never touched.
    for (const r of after.filter((x) => !x.emailedAt))
      expect(r).toMatchObject({ emailNextAt: null, emailAttempts: 0 });
  });
});
