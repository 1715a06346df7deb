import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../../db/index.ts';
import { record, systemCtx } from '../audit/audit.ts';
import { granteesOf } from '../grants/grants.repo.ts';
import * as notificationsRepo from '../notifications/notifications.repo.ts';
import { links } from '../notifications/notifications.service.ts';
import * as repo from './jobs.repo.ts';
import type { Mailer } from './mailer.ts';

const DAY = 86_400_000;
/** Grantees hear of an obligation this many days before it is due (once per due date). */
export const DUE_SOON_DAYS = 7;
/** Grantees hear of their grant's end this many days before it (once per end date: again after a renewal). */
export const EXPIRING_DAYS = 14;
/** Rows per transaction; a step repeats until a batch comes back short. */
const BATCH = 200;
/**
 * How long a claimed e-mail is reserved for the process sending it, from the database's clock when it
 * is claimed and again right before it is sent (one send: the SMTP timeouts, at most ~50 s, fit in it).
 */
export const MAIL_LEASE_SECONDS = 120;
/** E-mails claimed at a time (each is renewed before its send, so a slow batch loses no lease). */
export const MAIL_BATCH = 10;

export interface JobOptions {
  /** The time the run acts at (tests pass a later one to let time pass). */
  now?: Date;
  /** Absent: no e-mail (the inbox alone). */
  mailer?: Mailer;
  /** Makes the notifications' links absolute in e-mails. */
  publicUrl: string;
  logger?: Pick<Logger, 'warn' | 'error'>;
  /** Aborted when the process stops: the run ends between steps and between e-mails. */
  signal?: AbortSignal;
}

export interface JobReport {
  /** False when another process held the lock: this run changed no state (it may still have sent mail). */
  led: boolean;
  expired: number;
  overdue: number;
  notified: number;
  emailed: number;
  emailFailed: number;
  /** E-mails claimed but taken over by another process before this one sent them (not sent here). */
  emailSkipped: number;
}

const fmt = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : 'no date');
const termName = (kind: string) => kind.replace(/-/g, ' ');

/**
 * One run of the periodic job, idempotent however often and in however many processes it runs:
 * - active grants past their end become `expired`, each with one `grant.expired` event;
 * - pending obligations past due become `overdue`, each with one `obligation.overdue` event and a
 *   notice to the grantees and the community's stewards;
 * - grantees are told of obligations due within DUE_SOON_DAYS and grants ending within EXPIRING_DAYS,
 *   once per date (the notifications' unique key holds it, whatever races);
 * - then the e-mail outbox is sent, outside any transaction.
 * The state-changing steps run in transactions that first take an advisory lock (`JOBS_LOCK`): one
 * process leads a step, the others skip it. Correctness does not hang on the lock: the UPDATEs re-check
 * the state they change, and the unique key refuses a second notice.
 */
export async function runJobs(db: Db, opts: JobOptions): Promise<JobReport> {
  const now = opts.now ?? new Date();
  const ctx = systemCtx(`jobs-${randomUUID()}`);
  const report: JobReport = {
    led: true,
    expired: 0,
    overdue: 0,
    notified: 0,
    emailed: 0,
    emailFailed: 0,
    emailSkipped: 0,
  };
  const stopping = () => opts.signal?.aborted === true;

  /** Runs `step` in lock-holding transactions until it returns fewer than BATCH rows (the next run goes on). */
  const repeat = async (step: (tx: Db) => Promise<number>) => {
    for (let i = 0; i < 50; i++) {
      if (stopping()) return;
      const n = await db.transaction(async (tx) => ((await repo.tryLead(tx)) ? step(tx) : undefined));
      if (n === undefined) report.led = false;
      if (n === undefined || n < BATCH) return;
    }
  };
  const notify = async (tx: Db, values: notificationsRepo.NewNotification[]) => {
    report.notified += (await notificationsRepo.insertMany(tx, values)).length;
  };

  await repeat(async (tx) => {
    const rows = await repo.expireGrants(tx, now, BATCH);
    const context = await repo.grantContext(
      tx,
      rows.map((r) => r.id),
    );
    for (const g of rows) {
      const c = context.get(g.id)!;
      await record(tx, ctx, 'grant.expired', {
        subjectType: 'Grant',
        subjectId: g.id,
        communityId: c.communityId,
        datasetId: g.datasetId,
        purpose: g.purpose,
        details: { from: 'active', to: 'expired', expiresAt: g.expiresAt.toISOString() },
      });
    }
    report.expired += rows.length;
    return rows.length;
  });

  if (report.led)
    await repeat(async (tx) => {
      const rows = await repo.markOverdue(tx, now, BATCH);
      const grantIds = [...new Set(rows.map((r) => r.grantId))];
      const context = await repo.grantContext(tx, grantIds);
      const people = await granteesOf(tx, grantIds);
      const stewards = await notificationsRepo.stewardsOf(tx, [
        ...new Set([...context.values()].map((c) => c.communityId)),
      ]);
      for (const o of rows) {
        const c = context.get(o.grantId)!;
        await record(tx, ctx, 'obligation.overdue', {
          subjectType: 'Obligation',
          subjectId: o.id,
          communityId: c.communityId,
          datasetId: c.datasetId,
          purpose: c.purpose,
          details: { grantId: o.grantId, kind: o.kind, dueAt: o.dueAt?.toISOString() ?? null },
        });
        const grantees = people.filter((p) => p.grantId === o.grantId).map((p) => p.id);
        const base = {
          kind: 'obligation.overdue',
          subjectType: 'Obligation',
          subjectId: o.id,
          occasion: o.dueAt,
          link: links.obligation(o.grantId, o.id),
        };
        await notify(tx, [
          ...grantees.map((userId) => ({
            ...base,
            userId,
            title: `Overdue: "${termName(o.kind)}" for ${c.datasetTitle}`,
            body: `It was due on ${fmt(o.dueAt)}. Downloads under this grant are paused until it is fulfilled or waived.`,
          })),
          ...(stewards.get(c.communityId) ?? [])
            .filter((id) => !grantees.includes(id))
            .map((userId) => ({
              ...base,
              userId,
              title: `A grantee's "${termName(o.kind)}" for ${c.datasetTitle} is overdue`,
              body: `It was due on ${fmt(o.dueAt)}. Downloads under the grant are paused until it is fulfilled or you waive it.`,
            })),
        ]);
      }
      report.overdue += rows.length;
      return rows.length;
    });

  if (report.led)
    await repeat(async (tx) => {
      const rows = await repo.obligationsDueSoon(tx, now, DUE_SOON_DAYS, BATCH);
      const grantIds = [...new Set(rows.map((r) => r.grantId))];
      const context = await repo.grantContext(tx, grantIds);
      const people = await granteesOf(tx, grantIds);
      await notify(
        tx,
        rows.flatMap((o) =>
          people
            .filter((p) => p.grantId === o.grantId)
            .map((p) => ({
              userId: p.id,
              kind: 'obligation.due_soon',
              subjectType: 'Obligation',
              subjectId: o.id,
              occasion: o.dueAt,
              link: links.obligation(o.grantId, o.id),
              title: `Due ${fmt(o.dueAt)}: "${termName(o.kind)}" for ${context.get(o.grantId)!.datasetTitle}`,
              body: `Fulfil it by ${fmt(o.dueAt)}: an overdue obligation pauses downloads under the grant.`,
            })),
        ),
      );
      return rows.length;
    });

  if (report.led)
    await repeat(async (tx) => {
      const rows = await repo.grantsExpiringSoon(tx, now, EXPIRING_DAYS, BATCH);
      const context = await repo.grantContext(
        tx,
        rows.map((r) => r.id),
      );
      const people = await granteesOf(
        tx,
        rows.map((r) => r.id),
      );
      await notify(
        tx,
        rows.flatMap((g) =>
          people
            .filter((p) => p.grantId === g.id)
            .map((p) => ({
              userId: p.id,
              kind: 'grant.expiring',
              subjectType: 'Grant',
              subjectId: g.id,
              occasion: g.expiresAt,
              link: links.grant(g.id),
              title: `Your access to ${context.get(g.id)!.datasetTitle} ends on ${fmt(g.expiresAt)}`,
              body: `In ${Math.max(1, Math.ceil((g.expiresAt.getTime() - now.getTime()) / DAY))} days. Ask the community's stewards for a renewal if you need longer.`,
            })),
        ),
      );
      return rows.length;
    });

  if (opts.mailer && !stopping())
    await deliver(db, opts.mailer, now, opts.publicUrl, report, stopping, opts.logger);
  return report;
}

/** Back-off after the n-th failed attempt: 1, 2, 4 … minutes, at most 6 hours. */
export const retryDelayMs = (attempts: number) =>
  Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 6 * 3_600_000);

/**
 * Sends the outbox: claims a small batch (committed), then for each message renews its lease, sends it
 * and records the outcome, all only while this process still holds the row (its lease token). A message
 * whose lease was taken over (this process stalled past it) is left to its new holder. Stops between
 * messages when `stopping()`, giving back the rows it claimed and did not try. At-least-once: a message
 * sent just as its lease passed may be sent again by the process that took it over.
 */
async function deliver(
  db: Db,
  mailer: Mailer,
  now: Date,
  publicUrl: string,
  report: JobReport,
  stopping: () => boolean,
  logger?: Pick<Logger, 'warn' | 'error'>,
) {
  for (let round = 0; round < 100; round++) {
    if (stopping()) return;
    const batch = await notificationsRepo.claimOutbox(db, now, MAIL_BATCH, MAIL_LEASE_SECONDS);
    for (const [i, { n, lease: claimed, to }] of batch.entries()) {
      if (stopping()) {
        for (const rest of batch.slice(i)) await notificationsRepo.releaseClaim(db, rest.n.id, rest.lease);
        return;
      }
      const lease = await notificationsRepo.renewLease(db, n.id, claimed, MAIL_LEASE_SECONDS);
      if (!lease) {
        report.emailSkipped++;
        continue;
      }
      try {
        await mailer.send({
          to: to.email,
          subject: n.title,
          text: `${n.body}\n\n${publicUrl}${n.link}\n\n— Steward. Your notifications: ${publicUrl}/inbox\n`,
        });
      } catch (err) {
        report.emailFailed++;
        logger?.warn({ err, notificationId: n.id, attempts: n.emailAttempts }, 'e-mail not sent; will retry');
        await notificationsRepo.markEmailFailed(
          db,
          n.id,
          lease,
          new Date(now.getTime() + retryDelayMs(n.emailAttempts)),
          err instanceof Error ? err.message : String(err),
        );
        continue;
      }
      report.emailed++;
      if (!(await notificationsRepo.markEmailed(db, n.id, lease, new Date())))
        logger?.warn(
          { notificationId: n.id },
          'e-mail sent after its lease passed: another process may send it again',
        );
    }
    if (batch.length < MAIL_BATCH) return;
  }
}

/**
 * Runs the job every `intervalMs` in this process (every api process runs one; the lock picks who
 * changes state). Holds no state that matters between runs: everything is in the database.
 */
export class Jobs {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Aborted by `stop()`: the run in progress ends between steps and e-mails instead of finishing. */
  private halt = new AbortController();

  constructor(
    private readonly db: Db,
    private readonly opts: JobOptions & { intervalMs: number },
  ) {}

  start(): this {
    this.stopped = false;
    if (this.halt.signal.aborted) this.halt = new AbortController();
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(async () => {
        await this.runOnce().catch((err) => this.opts.logger?.error({ err }, 'periodic job failed'));
        loop();
      }, this.opts.intervalMs);
      this.timer.unref?.();
    };
    loop();
    return this;
  }

  /** One run now (tests); runs never overlap within a process. After `stop()` a run does nothing. */
  runOnce(now?: Date): Promise<JobReport> {
    const next = this.running.then(() =>
      runJobs(this.db, { ...this.opts, now: now ?? new Date(), signal: this.halt.signal }),
    );
    this.running = next.catch(() => {});
    return next;
  }

  /** Stops the timer and the run in progress (after the step or e-mail at hand), then closes the mailer. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halt.abort();
    clearTimeout(this.timer);
    await this.running;
    this.opts.mailer?.close();
  }
}
