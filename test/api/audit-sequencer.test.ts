import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { pendingCount } from '../../api/audit/audit.repo.ts';
import { recordAlone, systemCtx } from '../../api/audit/audit.ts';
import { auditTx } from '../../api/audit/event-rows.ts';
import { queryRows } from '../../db/index.ts';
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
    return pendingCount(app.database.db);
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

  it('rejects every UPDATE and DELETE, even one that changes nothing', async () => {
    app = await startTestApp({ AUDIT_SEQUENCER: 'off' });
    const db = app.database.db;
    await recordAlone(db, systemCtx('t'), 'test.trigger', { subjectType: 'Test', subjectId: 'x' });
    const [{ seq }] = await queryRows<{ seq: number }>(
      db,
      sql`select max(seq)::int as seq from audit_events`,
    );
    const failure = (q: ReturnType<typeof sql>) =>
      db.execute(q).then(
        () => 'accepted',
        (err: Error & { cause?: Error }) => err.cause?.message ?? err.message,
      );
    expect(await failure(sql`update audit_events set subject_id = 'y' where seq = ${seq}`)).toMatch(
      /append-only/,
    );
    expect(await failure(sql`update audit_events set subject_id = subject_id where seq = ${seq}`)).toMatch(
      /append-only/,
    );
    expect(await failure(sql`delete from audit_events where seq = ${seq}`)).toMatch(/append-only/);
    // The sequencer integrates it without touching the row.
    const { added } = await app.sequencer.flush();
    expect(added).toBeGreaterThan(0);
  });
});

describe('the sequencer floor', () => {
  let app: TestApp;
  afterAll(() => app?.stop());
  const one = async <T>(q: ReturnType<typeof sql>): Promise<T> => (await queryRows<T>(app.database.db, q))[0];
  /**
   * Ticks until the floor reaches the last event. Not a fixed number of ticks: the floor waits for every
   * transaction older than its horizon in the whole cluster, and on a shared PostgreSQL other tests run
   * transactions of their own.
   */
  const untilFloorIsLast = async () => {
    for (let i = 0; i < 100; i++) {
      await app.sequencer.flush();
      const { floor, max } = await one<{ floor: number; max: number }>(
        sql`select (select floor::int from audit_sequencer_state) as floor, (select max(seq)::int from audit_events) as max`,
      );
      if (floor >= max) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('rises past a rolled-back seq to the last event once no older transaction runs, and integrates nothing twice', async () => {
    app = await startTestApp({ AUDIT_SEQUENCER: 'off' });
    const db = app.database.db;
    await app.sequencer.flush();
    // A seq taken by a transaction that rolls back: a gap that must not hold the floor.
    await expect(
      db.transaction(async (tx) => {
        await recordAlone(tx, systemCtx('t'), 'test.rolled_back', { subjectType: 'Test', subjectId: 'x' });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await recordAlone(db, systemCtx('t'), 'test.after_gap', { subjectType: 'Test', subjectId: 'y' });
    await untilFloorIsLast();
    const { max } = await one<{ max: number }>(sql`select max(seq)::int as max from audit_events`);
    const { floor } = await one<{ floor: number }>(
      sql`select floor::int as floor from audit_sequencer_state`,
    );
    expect(floor).toBe(max);
    expect(await pendingCount(db)).toBe(0);
    const counts = await one<{ events: number; leaves: number; distinct: number }>(
      sql`select (select count(*)::int from audit_events) as events, (select count(*)::int from audit_leaves) as leaves,
        (select count(distinct seq)::int from audit_leaves) as distinct`,
    );
    expect(counts.leaves).toBe(counts.events);
    expect(counts.distinct).toBe(counts.events);
  });

  it('an idle tick writes nothing; a horizon from another cluster (a restore) is taken again', async () => {
    const db = app.database.db;
    await untilFloorIsLast();
    const before = await one<{ x: string }>(sql`select xmin::text as x from audit_sequencer_state`);
    for (let i = 0; i < 3; i++) await app.sequencer.flush();
    expect(await one<{ x: string }>(sql`select xmin::text as x from audit_sequencer_state`)).toEqual(before);

    // As after pg_dump into a new cluster: a horizon xid this cluster has not reached.
    await db.execute(sql`update audit_sequencer_state set horizon_xid = 9000000000000`);
    await recordAlone(db, systemCtx('t'), 'test.after_restore', { subjectType: 'Test', subjectId: 'z' });
    await untilFloorIsLast();
    const { max } = await one<{ max: number }>(sql`select max(seq)::int as max from audit_events`);
    const state = await one<{ floor: number; x: string }>(
      sql`select floor::int as floor, horizon_xid::text as x from audit_sequencer_state`,
    );
    expect(state.floor).toBe(max);
    expect(state.x).not.toBe('9000000000000');
    expect(await pendingCount(db)).toBe(0);
  });

  it('the sequence hands out one value at a time (a CACHE above 1 would break the floor)', async () => {
    const { cache } = await one<{ cache: number }>(
      sql`select cache_size::int as cache from pg_sequences where sequencename = 'audit_events_seq_seq'`,
    );
    expect(cache).toBe(1);
  });

  it('the column default takes the transaction id before the seq', async () => {
    const { def } = await one<{ def: string }>(
      sql`select pg_get_expr(d.adbin, d.adrelid) as def from pg_attrdef d
        join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
        where d.adrelid = 'audit_events'::regclass and a.attname = 'seq'`,
    );
    expect(def).toContain('nextval');
    expect(def.indexOf('pg_current_xact_id()')).toBeGreaterThan(-1);
    expect(def.indexOf('pg_current_xact_id()')).toBeLessThan(def.indexOf('nextval'));
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
