import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkNote } from '../../api/audit/checkpoint.ts';
import { EVENT_COLUMNS_BINARY, LeafWriter } from '../../api/audit/event-binary.ts';
import { canonicalColumns, canonicalEvent, eventHash } from '../../api/audit/event-hash.ts';
import { auditTx, canonicalFromColumns, EVENT_COLUMNS } from '../../api/audit/event-rows.ts';
import {
  leafHash,
  nodeHash,
  TreeBuilder,
  verifyConsistency,
  verifyInclusion,
} from '../../api/audit/merkle.ts';
import { auditEvents } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const hex = (s: string) => Buffer.from(s, 'hex');
/** The database's own message (drizzle wraps it in `cause`). */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return e.cause?.message ?? e.message;
  }
  return 'no error';
}

/** The tamper-evident log over HTTP: checkpoints, a community's events with proofs, consistency. */
describe('the audit log', () => {
  let app: TestApp;
  let steward: string;
  let auditor: string;
  let builder: string;
  let admin: string;

  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
    steward = (await app.user({ email: 'steward@example.org' })).token;
    auditor = (await app.user({ email: 'auditor@example.org' })).token;
    builder = (await app.user({ email: 'builder@example.org' })).token;
    admin = (await app.user({ email: 'admin@example.org', admin: true })).token;
    await app.sequencer.flush();
  });
  afterAll(() => app?.stop());

  const exec = (q: ReturnType<typeof sql>) => app.database.db.execute(q);
  const checkpoint = async () => {
    const res = await app.api('/audit/checkpoint');
    expect(res.status).toBe(200);
    return res.json();
  };

  it('serves a signed C2SP checkpoint over every committed event, whose root recomputes from the rows', async () => {
    const cp = await checkpoint();
    const [{ n }] = await app.database.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents);
    expect(cp.size).toBe(n);
    expect(cp.note).toMatch(/^[^\n]+\/audit\n\d+\n[A-Za-z0-9+/=]{44}\n\n— \S+ [A-Za-z0-9+/=]+\n$/);
    const publicKey = Buffer.from(cp.publicKey, 'base64');
    expect(checkNote(cp.note, cp.keyName, publicKey, { size: cp.size, root: hex(cp.root) })).toBeUndefined();
    // A note altered by one byte, or checked with another root, fails.
    expect(
      checkNote(cp.note.replace(/\n\d+\n/, `\n${cp.size + 1}\n`), cp.keyName, publicKey, {
        size: cp.size + 1,
        root: hex(cp.root),
      }),
    ).toBe('signature does not verify');
    expect(checkNote(cp.note, cp.keyName, publicKey, { size: cp.size, root: leafHash('x') })).toBeDefined();
    const rows = await app.database.db.execute(
      sql`select l.leaf_index from audit_leaves l order by l.leaf_index`,
    );
    const list = (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as {
      leaf_index: string;
    }[];
    expect(list.map((r) => Number(r.leaf_index))).toEqual([...Array(n).keys()]);
    // The private key is nowhere in what is served or recorded.
    const all = JSON.stringify(await app.database.db.select().from(auditEvents));
    expect(all).not.toMatch(/privateKey|BEGIN PRIVATE/);
  });

  it('a community’s events come with hashes and inclusion proofs that verify against the checkpoint', async () => {
    const cp = await checkpoint();
    const res = await app.api('/communities/demo-collective/audit?limit=200', { token: auditor });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.checkpoint.size).toBe(cp.size);
    expect(body.items.length).toBeGreaterThan(5);
    for (const item of body.items) {
      expect(eventHash(item.event).toString('hex')).toBe(item.hash);
      expect(
        verifyInclusion(item.leafIndex, cp.size, hex(item.hash), item.proof.map(hex), hex(cp.root)),
      ).toBe(true);
    }
    expect(body.items.map((i: { event: { action: string } }) => i.event.action)).toContain(
      'dataset.published',
    );
    // Every event is the community's own.
    const community = await (await app.api('/communities/demo-collective')).json();
    expect(new Set(body.items.map((i: { event: { communityId: string } }) => i.event.communityId))).toEqual(
      new Set([community.id]),
    );
  });

  it('stewards and auditors of that community only: everyone else gets 404', async () => {
    expect((await app.api('/communities/demo-collective/audit', { token: steward })).status).toBe(200);
    for (const token of [builder, admin, undefined]) {
      const res = await app.api('/communities/demo-collective/audit', { token });
      expect(res.status).toBe(404);
      expect((await res.json()).code).toBe('audit_log_not_found');
    }
    expect((await app.api('/communities/no-such-community/audit', { token: steward })).status).toBe(404);
    // The steward of another community does not read this one.
    const other = await app.api('/communities', {
      method: 'POST',
      token: admin,
      json: { slug: 'other-commons', name: 'Other', stewardEmail: 'other-steward@test.org' },
    });
    expect(other.status).toBe(201);
    const otherSteward = (await app.user({ email: 'other-steward@test.org' })).token;
    expect((await app.api('/communities/demo-collective/audit', { token: otherSteward })).status).toBe(404);
    await app.sequencer.flush();
    const own = await (await app.api('/communities/other-commons/audit', { token: otherSteward })).json();
    expect(own.items.map((i: { event: { action: string } }) => i.event.action)).toEqual(
      ['community.created', 'user.created', 'member.added'].filter((a) =>
        own.items.some((i: { event: { action: string } }) => i.event.action === a),
      ),
    );
    expect(own.items.length).toBeGreaterThan(0);
    expect(
      own.items.every(
        (i: { event: { communityId: string } }) => i.event.communityId === own.items[0].event.communityId,
      ),
    ).toBe(true);
  });

  it('pages keep proving against the checkpoint the first page used, even after the log grew', async () => {
    const first = await (
      await app.api('/communities/demo-collective/audit?limit=2', { token: auditor })
    ).json();
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toBe(`${first.checkpoint.size}.${first.items[1].leafIndex}`);
    await app.api('/communities/demo-collective/members', {
      method: 'POST',
      token: steward,
      json: { email: 'new-member@test.org', role: 'member' },
    });
    await app.sequencer.flush();
    expect((await checkpoint()).size).toBeGreaterThan(first.checkpoint.size);
    const second = await (
      await app.api(`/communities/demo-collective/audit?limit=2&cursor=${first.nextCursor}`, {
        token: auditor,
      })
    ).json();
    expect(second.checkpoint.size).toBe(first.checkpoint.size);
    expect(second.items[0].leafIndex).toBeGreaterThan(first.items[1].leafIndex);
    for (const item of second.items)
      expect(
        verifyInclusion(
          item.leafIndex,
          second.checkpoint.size,
          hex(item.hash),
          item.proof.map(hex),
          hex(second.checkpoint.root),
        ),
      ).toBe(true);
    expect((await app.api('/communities/demo-collective/audit?cursor=abc', { token: auditor })).status).toBe(
      400,
    );
    expect(
      (await app.api('/communities/demo-collective/audit?cursor=99999.1', { token: auditor })).status,
    ).toBe(400);
  });

  it('a consistency proof links an older checkpoint to the latest', async () => {
    const old = await checkpoint();
    await app.api('/communities/demo-collective/members', {
      method: 'POST',
      token: steward,
      json: { email: 'another-member@test.org', role: 'auditor' },
    });
    await app.sequencer.flush();
    const now = await checkpoint();
    expect(now.size).toBeGreaterThan(old.size);
    const res = await app.api(`/audit/consistency?from=${old.size}&to=${now.size}`);
    expect(res.status).toBe(200);
    const { proof } = await res.json();
    expect(verifyConsistency(old.size, now.size, hex(old.root), hex(now.root), proof.map(hex))).toBe(true);
    expect(verifyConsistency(old.size, now.size, leafHash('forged'), hex(now.root), proof.map(hex))).toBe(
      false,
    );
    for (const q of [
      `from=${now.size}&to=${old.size}`,
      `from=1&to=${now.size + 1}`,
      'from=0&to=1',
      'from=a&to=2',
    ])
      expect((await app.api(`/audit/consistency?${q}`)).status).toBe(400);
  });

  it('the tree tables are append-only in the database', async () => {
    const db = app.database.db;
    expect(
      await failure(db.execute(sql`update audit_leaves set hash = '\\x00' where leaf_index = 0`)),
    ).toMatch(/append-only/);
    expect(await failure(db.execute(sql`delete from audit_checkpoints`))).toMatch(/append-only/);
    expect(await failure(db.execute(sql`delete from audit_nodes`))).toMatch(/append-only/);
    expect(
      await failure(db.execute(sql`update audit_events set subject_id = subject_id where seq = 1`)),
    ).toMatch(/append-only/);
  });

  it('a download whose audit write fails answers an error and no URL', async () => {
    const page = await (await app.api('/datasets/demo-word-list')).json();
    const file = page.releases[0].files[0];
    expect((await app.api(`/files/${file.id}/download`)).status).toBe(302);
    const db = app.database.db;
    // The hot path's prepared INSERT stores details as a JSON object, not as a JSON string.
    const t = await exec(
      sql`select distinct jsonb_typeof(details) as t from audit_events where action = 'download.issued'`,
    );
    expect(
      (Array.isArray(t) ? t : (t as { rows: unknown[] }).rows).map((r) => (r as { t: string }).t),
    ).toEqual(['object']);
    await db.execute(
      sql`alter table audit_events add constraint test_no_downloads check (action <> 'download.issued') not valid`,
    );
    try {
      for (const accept of ['text/html', 'application/json']) {
        const res = await app.api(`/files/${file.id}/download`, { headers: { accept } });
        expect(res.status).toBe(500);
        expect(res.headers.get('location')).toBeNull();
        const text = await res.text();
        expect(text).not.toMatch(/X-Amz-Signature|"url"/);
        expect(JSON.parse(text).code).toBe('internal_error');
      }
    } finally {
      await db.execute(sql`alter table audit_events drop constraint test_no_downloads`);
    }
  });

  it('commit order: an event that commits after a later seq gets a later leaf, and nothing is lost', async ({
    skip,
  }) => {
    const url = app.config.databaseUrl;
    if (!url.startsWith('postgres')) skip('two concurrent transactions need PostgreSQL');
    const a = postgres(url, { max: 1, onnotice: () => {} });
    const b = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await app.sequencer.flush();
      const insert = `insert into audit_events (actor_type, action, subject_type, subject_id) values ('system', 'test.ordered', 'Test', $1) returning seq`;
      let releaseA!: () => void;
      const heldA = new Promise<void>((r) => {
        releaseA = r;
      });
      let seqA = 0;
      let insertedA!: () => void;
      const aInserted = new Promise<void>((r) => {
        insertedA = r;
      });
      const txA = a.begin(async (tx) => {
        seqA = Number((await tx.unsafe(insert, ['early-seq']))[0].seq);
        insertedA();
        await heldA;
      });
      await aInserted;
      const [{ seq: seqB }] = await b.unsafe(insert, ['late-seq']);
      expect(Number(seqB)).toBeGreaterThan(seqA);
      // However many ticks pass while A is open, the floor stays below its seq.
      for (let i = 0; i < 3; i++) await app.sequencer.flush();
      const [{ floor }] = await b.unsafe('select floor::int as floor from audit_sequencer_state');
      expect(floor).toBeLessThan(seqA);
      releaseA();
      await txA;
      await app.sequencer.flush();
      const rows = await a.unsafe(
        `select e.subject_id, l.leaf_index from audit_leaves l join audit_events e using (seq) where e.action = 'test.ordered' order by l.leaf_index`,
      );
      expect(rows.map((r) => r.subject_id)).toEqual(['late-seq', 'early-seq']);
      const cp = await checkpoint();
      const [{ n }] = await a.unsafe('select count(*)::int as n from audit_events');
      expect(cp.size).toBe(n);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('the standalone verifier checks an exported community log with only the public key', async () => {
    await app.sequencer.flush();
    const items = [];
    let page = await (await app.api('/communities/demo-collective/audit?limit=5', { token: auditor })).json();
    const cp = page.checkpoint;
    items.push(...page.items);
    while (page.nextCursor) {
      page = await (
        await app.api(`/communities/demo-collective/audit?limit=5&cursor=${page.nextCursor}`, {
          token: auditor,
        })
      ).json();
      items.push(...page.items);
    }
    const dir = mkdtempSync(join(tmpdir(), 'steward-export-'));
    const standalone = async (data: unknown, key = cp.publicKey) => {
      const file = join(dir, 'export.json');
      writeFileSync(file, JSON.stringify(data));
      try {
        const { stdout } = await promisify(execFile)(process.execPath, [
          'scripts/verify-community-log.mjs',
          file,
          '--public-key',
          key,
        ]);
        return { code: 0, out: stdout };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, out: e.stdout + e.stderr };
      }
    };
    try {
      const ok = await standalone({ checkpoint: cp, items });
      expect(ok).toMatchObject({ code: 0 });
      expect(ok.out).toMatch(new RegExp(`^OK: ${items.length} events included in checkpoint ${cp.size}`));
      // An altered event is named.
      const altered = structuredClone(items);
      altered[2].event.purpose = 'journalism';
      const bad = await standalone({ checkpoint: cp, items: altered });
      expect(bad.code).toBe(1);
      expect(bad.out).toContain(
        `first bad event: leaf ${items[2].leafIndex} (event seq ${items[2].event.seq}`,
      );
      // An event inserted into the export, with a hash that matches it but no real proof, is named.
      const taken = new Set(items.map((i: { leafIndex: number }) => i.leafIndex));
      const free = [...Array(cp.size).keys()].find((i) => !taken.has(i));
      const forged = { ...structuredClone(items[0]), leafIndex: free };
      forged.event.subjectId = 'forged';
      forged.hash = eventHash(forged.event).toString('hex');
      const inserted = await standalone({ checkpoint: cp, items: [...items, forged] });
      expect(inserted.code).toBe(1);
      expect(inserted.out).toMatch(/not included in the signed checkpoint/);
      // Another key: the checkpoint does not verify.
      const other = await standalone({ checkpoint: cp, items }, Buffer.alloc(32, 7).toString('base64'));
      expect(other.code).toBe(1);
      expect(other.out).toMatch(/no signature by this key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the bulk path (column texts streamed, JSON assembled from them) equals the event hash, byte for byte', async () => {
    await exec(sql`insert into audit_events (actor_type, action, subject_type, subject_id, purpose, details)
      values ('system', 'test.escapes', 'Test', ${'quote " back \\ tab \t nl \n cr \r ctl \u0001 \\N é 😀 \u2028'}, null,
        ${JSON.stringify({ z: 1.5, a: [1e21, 0.1, -0, 'x\u001f', 'tab\tback\\'], é: { b: true, a: null }, n: 100, '10': 2, '9': 1 })}::jsonb)`);
    // Microseconds with trailing zeros, and none at all: PostgreSQL's text drops them, the hash keeps six digits.
    await exec(sql`insert into audit_events (at, actor_type, action, subject_type, subject_id)
      values ('2026-01-02 03:04:05.1+00', 'system', 'test.time', 'Test', 'a'), ('2026-01-02 03:04:05+00', 'system', 'test.time', 'Test', 'b')`);
    const bulk: string[] = [];
    await auditTx(app.database.db, { readOnly: true }, ({ scan }) =>
      scan(EVENT_COLUMNS, 'from audit_events e order by e.seq', (f) => bulk.push(canonicalFromColumns(f, 0))),
    );
    const events = await app.database.db.select(canonicalColumns).from(auditEvents).orderBy(auditEvents.seq);
    expect(bulk.length).toBe(events.length);
    for (const [i, e] of events.entries()) expect(bulk[i]).toBe(canonicalEvent(e));
    expect(bulk.some((j) => j.includes('"at":"2026-01-02T03:04:05.100000Z"'))).toBe(true);
    expect(bulk.some((j) => j.includes('"at":"2026-01-02T03:04:05.000000Z"'))).toBe(true);
  });

  it('the binary path (binary COPY, bytes written directly) equals the event hash on PostgreSQL', async () => {
    await exec(sql`insert into audit_events (actor_type, action, subject_type, subject_id, details)
      values ('system', 'test.flat', 'Test', 'flat', ${JSON.stringify({ name: 'part-1.parquet', size: 1024, tier: 'gated', ok: true, none: null, neg: -3 })}::jsonb),
        ('system', 'test.order', 'Test', 'order', ${JSON.stringify({ bb: 1, a: 2, é: 3, n: 1.5, big: 1234567890123456 })}::jsonb)`);
    const bulk: string[] = [];
    const ran = await auditTx(app.database.db, { readOnly: true }, async ({ scanBinary }) => {
      if (!scanBinary) return false;
      const w = new LeafWriter();
      await scanBinary(
        `select ${EVENT_COLUMNS_BINARY.join(', ')} from audit_events e order by e.seq`,
        EVENT_COLUMNS_BINARY.length,
        (src, pos, len) => bulk.push(w.out.toString('utf8', 1, w.write(src, pos, len, 0))),
      );
      return true;
    });
    // PGlite has no COPY: the verifier uses the text path there (the test above).
    expect(ran).toBe(app.database.kind === 'postgres');
    if (!ran) return;
    const events = await app.database.db.select(canonicalColumns).from(auditEvents).orderBy(auditEvents.seq);
    expect(bulk.length).toBe(events.length);
    for (const [i, e] of events.entries()) expect(bulk[i]).toBe(canonicalEvent(e));
    expect(bulk.some((j) => j.includes('"at":"2026-01-02T03:04:05.100000Z"'))).toBe(true);
    expect(bulk.some((j) => j.includes('"subjectId":"quote \\" back'))).toBe(true);
  });

  it('the root recomputed from the rows in leaf order equals the signed root', async () => {
    await app.sequencer.flush();
    const cp = await checkpoint();
    const r = await app.database.db.execute(sql`select hash from audit_leaves order by leaf_index`);
    const rows = (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as { hash: Uint8Array }[];
    const b = new TreeBuilder();
    for (const row of rows) b.push(Buffer.from(row.hash));
    expect(b.root().toString('hex')).toBe(cp.root);
    expect(nodeHash(leafHash('a'), leafHash('b'))).toHaveLength(32);
  });
});
