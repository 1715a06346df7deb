import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { recordAlone, systemCtx } from '../../api/audit/audit.ts';
import { auditTx } from '../../api/audit/event-rows.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * AUDIT_SEQUENCER=off: a process that must not lead never integrates events by itself (another process
 * or an on-demand flush does); the default process does, within its tick interval.
 */
describe('the AUDIT_SEQUENCER setting', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.stop();
  });

  async function pendingAfterTicks(app: TestApp): Promise<number> {
    await recordAlone(app.database.db, systemCtx('t'), 'test.sequenced', {
      subjectType: 'Test',
      subjectId: 'x',
    });
    // The sequencer ticks every second: give it two.
    await new Promise((r) => setTimeout(r, 2500));
    const r = await app.database.db.execute(
      sql`select count(*)::int as n from audit_events where hash is null`,
    );
    const rows = (Array.isArray(r) ? r : (r as { rows: { n: number }[] }).rows) as { n: number }[];
    return rows[0].n;
  }

  it('off: events wait until something else integrates them', async () => {
    const app = await startTestApp({ AUDIT_SEQUENCER: 'off' });
    apps.push(app);
    expect(app.config.auditSequencer).toBe(false);
    expect(await pendingAfterTicks(app)).toBeGreaterThan(0);
    const { added, checkpoint } = await app.sequencer.flush();
    expect(added).toBeGreaterThan(0);
    expect(checkpoint?.size).toBeGreaterThan(0);
  });

  it('on (the default): the process integrates by itself', async () => {
    const app = await startTestApp();
    apps.push(app);
    expect(app.config.auditSequencer).toBe(true);
    expect(await pendingAfterTicks(app)).toBe(0);
  });
});

describe('the append-only trigger', () => {
  let app: TestApp;
  afterAll(() => app?.stop());

  it('lets through only an empty hash being filled in, once', async () => {
    app = await startTestApp({ AUDIT_SEQUENCER: 'off' });
    const db = app.database.db;
    await recordAlone(db, systemCtx('t'), 'test.trigger', { subjectType: 'Test', subjectId: 'x' });
    const r = await db.execute(sql`select max(seq)::int as seq from audit_events`);
    const [{ seq }] = (Array.isArray(r) ? r : (r as { rows: { seq: number }[] }).rows) as { seq: number }[];
    await expect(
      db.execute(sql`update audit_events set subject_id = 'y' where seq = ${seq}`),
    ).rejects.toThrow();
    await expect(
      db.execute(sql`update audit_events set details = '{"a":1}', hash = 'ab' where seq = ${seq}`),
    ).rejects.toThrow();
    await expect(db.execute(sql`delete from audit_events where seq = ${seq}`)).rejects.toThrow();
    await db.execute(sql`update audit_events set hash = 'ab' where seq = ${seq}`);
    await expect(db.execute(sql`update audit_events set hash = 'cd' where seq = ${seq}`)).rejects.toThrow();
    await expect(db.execute(sql`update audit_events set hash = null where seq = ${seq}`)).rejects.toThrow();
  });
});

describe('bulk reads (COPY on PostgreSQL)', () => {
  let app: TestApp;
  afterAll(() => app?.stop());

  // ~30 KB of rows arrive in one network read with CopyDone: postgres.js pauses its socket before
  // the listener is attached, and without the resume the plain query after it hangs (the timeout).
  it('leave the connection usable: scans one after another, then a plain query', async () => {
    app = await startTestApp({ AUDIT_SEQUENCER: 'off' });
    const got = await auditTx(app.database.db, { readOnly: true }, async ({ db, scan }) => {
      let n = 0;
      let last = '';
      for (let i = 0; i < 3; i++)
        await scan(
          ['g::text', "repeat('x', 200)", "E'a\\tb\\\\c'", 'null::text'],
          'from generate_series(1, 150) g',
          (f) => {
            n++;
            last = `${f[0]}|${f[1]?.length}|${f[2]}|${f[3]}`;
          },
        );
      const r = await db.execute(sql`select 1 as one`);
      const rows = (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as { one: number }[];
      return { n, last, one: rows[0].one };
    });
    expect(got).toEqual({ n: 450, last: '150|200|a\tb\\c|null', one: 1 });
  }, 30_000);
});
