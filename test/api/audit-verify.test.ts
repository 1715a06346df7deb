import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHash } from '../../api/audit/event-hash.ts';
import { verifyLog } from '../../api/audit/verify.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const run = promisify(execFile);

/**
 * `steward audit verify` against an attacker with superuser rights, who disables the append-only
 * triggers and alters, removes or inserts rows. On PostgreSQL the CLI runs as its own process against
 * the test database; on embedded PGlite (one process only) the same verifier runs in-process.
 */
describe('steward audit verify', () => {
  let app: TestApp;
  let pg = false;

  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
    pg = app.database.kind === 'postgres';
    await app.sequencer.flush();
  });
  afterAll(() => app?.stop());

  async function verify(): Promise<{ code: number; out: string }> {
    if (!pg) {
      const r = await verifyLog(app.database.db);
      return { code: r.ok ? 0 : 1, out: r.ok ? 'audit log OK' : `first bad event: ${r.problems.join('\n')}` };
    }
    try {
      const { stdout } = await run(process.execPath, ['scripts/bin/steward.js', 'audit', 'verify'], {
        env: { ...process.env, DATABASE_URL: app.config.databaseUrl, LOG_LEVEL: 'silent' },
        timeout: 60_000,
      });
      return { code: 0, out: stdout };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, out: e.stdout + e.stderr };
    }
  }
  const exec = (q: ReturnType<typeof sql>) => app.database.db.execute(q);
  async function rows<T>(q: ReturnType<typeof sql>): Promise<T[]> {
    const r = await exec(q);
    return (Array.isArray(r) ? r : (r as { rows: T[] }).rows) as T[];
  }
  /** The attacker: a superuser who switches the append-only triggers off while tampering. */
  async function asAttacker(fn: () => Promise<unknown>) {
    await exec(sql`alter table audit_events disable trigger all`);
    await exec(sql`alter table audit_leaves disable trigger all`);
    try {
      await fn();
    } finally {
      await exec(sql`alter table audit_events enable trigger all`);
      await exec(sql`alter table audit_leaves enable trigger all`);
    }
  }

  it('exits 0 on an untouched log, and the append-only triggers stop a plain attacker', async () => {
    const ok = await verify();
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/audit log OK/);
    await expect(exec(sql`update audit_events set details = '{}' where seq = 3`)).rejects.toThrow();
    await expect(exec(sql`delete from audit_events where seq = 3`)).rejects.toThrow();
  });

  it('an altered row: exit 1 naming that event', async () => {
    const [{ seq, details }] = await rows<{ seq: number; details: unknown }>(
      sql`select seq, details from audit_events where action = 'dataset.published' order by seq limit 1`,
    );
    await asAttacker(() =>
      exec(sql`update audit_events set details = '{"slug":"innocent"}' where seq = ${seq}`),
    );
    const bad = await verify();
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(
      new RegExp(`first bad event: leaf \\d+ \\(event seq ${seq}\\): the event was altered`),
    );
    // Put it back: the log verifies again.
    await asAttacker(() =>
      exec(sql`update audit_events set details = ${JSON.stringify(details)}::jsonb where seq = ${seq}`),
    );
    expect((await verify()).code).toBe(0);
  });

  it('several bad events: named in leaf order, whatever order the database joins them in', async () => {
    const [{ seq, details }] = await rows<{ seq: number; details: unknown }>(
      sql`select seq, details from audit_events join audit_leaves using (seq) order by seq desc limit 1`,
    );
    const [{ seq: second, details: secondDetails }] = await rows<{ seq: number; details: unknown }>(
      sql`select seq, details from audit_events join audit_leaves using (seq) order by seq limit 1 offset 2`,
    );
    await asAttacker(async () => {
      await exec(sql`update audit_events set details = '{"x": 1}' where seq = ${seq}`);
      await exec(sql`update audit_events set details = '{"x": 2}' where seq = ${second}`);
    });
    try {
      const r = await verifyLog(app.database.db);
      expect(r.ok).toBe(false);
      // The rewritten rows now sit last on disk, the later seq first: a join in physical order meets it first.
      expect(r.problems[0]).toMatch(new RegExp(`\\(event seq ${second}\\): the event was altered`));
      expect(r.problems[1]).toMatch(new RegExp(`\\(event seq ${seq}\\): the event was altered`));
      if (pg) {
        // The same findings when worker threads check the leaves on connections sharing the snapshot.
        const warnings: string[] = [];
        const par = await verifyLog(app.database.db, {
          databaseUrl: app.config.databaseUrl,
          workers: 2,
          onWarning: (m) => warnings.push(m),
        });
        // Not the one-thread fallback: that would find the same and say so here.
        expect(warnings).toEqual([]);
        expect(par.ok).toBe(false);
        expect(par.problems.slice(0, 2)).toEqual(r.problems.slice(0, 2));
      }
    } finally {
      await asAttacker(async () => {
        await exec(
          sql`update audit_events set details = ${JSON.stringify(details)}::jsonb where seq = ${seq}`,
        );
        await exec(
          sql`update audit_events set details = ${JSON.stringify(secondDetails)}::jsonb where seq = ${second}`,
        );
      });
    }
    expect((await verifyLog(app.database.db)).ok).toBe(true);
  });

  it('a removed row: exit 1 naming that event', async () => {
    const [{ seq }] = await rows<{ seq: number }>(
      sql`select seq from audit_events where action = 'member.added' order by seq limit 1`,
    );
    await exec(sql`create table tamper_saved as select * from audit_events where seq = ${seq}`);
    await asAttacker(() => exec(sql`delete from audit_events where seq = ${seq}`));
    const bad = await verify();
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(
      new RegExp(`first bad event: leaf \\d+ \\(event seq ${seq}\\): the event row was removed`),
    );
    await asAttacker(() => exec(sql`insert into audit_events select * from tamper_saved`));
    await exec(sql`drop table tamper_saved`);
    expect((await verify()).code).toBe(0);
  });

  it('a row inserted directly: exit 1, whether it pretends to be integrated or is spliced into signed history', async () => {
    // 1. A backdated row with a seq the sequencer has passed, as if it had been integrated.
    await exec(sql`insert into audit_events (seq, at, actor_type, action, subject_type, subject_id)
      values (0, now() - interval '1 year', 'system', 'grant.issued', 'Grant', 'forged')`);
    await app.sequencer.flush();
    let bad = await verify();
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(
      /first bad event: event seq 0 \(grant\.issued\) is in no leaf, below where the sequencer has integrated/,
    );

    // 2. The same row spliced into the tree at leaf 3, every later leaf shifted by one, hashes recomputed.
    const [ev] = await rows<
      Record<string, unknown>
    >(sql`select seq::int, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at,
      actor_type, actor_id, actor_token_id, actor_ip_hash, action, community_id, dataset_id, subject_type, subject_id,
      purpose, details, request_id from audit_events where seq = 0`);
    const h = eventHash({
      seq: 0,
      at: ev.at as string,
      actorType: ev.actor_type as string,
      actorId: null,
      actorTokenId: null,
      actorIpHash: null,
      action: ev.action as string,
      communityId: null,
      datasetId: null,
      subjectType: ev.subject_type as string,
      subjectId: ev.subject_id as string,
      purpose: null,
      details: ev.details as Record<string, unknown>,
      requestId: null,
    });
    await asAttacker(async () => {
      await exec(sql`update audit_leaves set leaf_index = -leaf_index - 1 where leaf_index >= 3`);
      await exec(sql`update audit_leaves set leaf_index = -leaf_index where leaf_index < 0`);
      await exec(sql`insert into audit_leaves (leaf_index, seq, hash) values (3, 0, ${h})`);
    });
    bad = await verify();
    expect(bad.code).toBe(1);
    // Named by the first stored pair of leaves that no longer matches: the spliced event is at leaf 3.
    expect(bad.out).toMatch(
      /first bad event: leaf 2 \(event seq \d+\) or leaf 3 \(event seq 0\): not the event signed at that place \(checkpoint \d+: the root recomputed from the events differs from the signed root/,
    );
  });
});
