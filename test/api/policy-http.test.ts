import { subject } from '@casl/ability';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditEvents,
  communities,
  datasets,
  files,
  grantees,
  grants,
  licenceVersions,
  memberships,
  obligations,
  releases,
} from '../../db/schema/index.ts';
import { type Actor, type CommunityRole, defineAbilityFor, type GrantRef } from '../../policies/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const tiers = ['open', 'registered', 'gated', 'restricted', 'closed'] as const;
const roles: CommunityRole[] = ['steward', 'reviewer', 'auditor', 'member'];
const day = 86_400_000;

/**
 * A grant that is in force but for at most one defect (or a harmless variation), so that each rule of
 * "in force" is what decides some of the cases.
 */
const grantArb = fc.record({
  dataset: fc.nat(),
  scope: fc.constantFrom('dataset', 'release', 'file' as const),
  defect: fc.constantFrom(
    'none',
    'none',
    'none',
    'suspended',
    'revoked',
    'expired',
    'not-started',
    'ended',
    'licence-withdrawn',
    'obligation-overdue',
    'obligation-pending-past-due',
    'obligation-pending-later',
    'obligation-fulfilled',
    'obligation-waived',
  ),
});
const inForceDespite = ['none', 'obligation-pending-later', 'obligation-fulfilled', 'obligation-waived'];

const worldArb = fc.record({
  datasets: fc.array(
    fc.record({
      community: fc.integer({ min: 0, max: 1 }),
      status: fc.oneof(
        { weight: 6, arbitrary: fc.constant('published' as const) },
        { weight: 1, arbitrary: fc.constantFrom('draft', 'withdrawn' as const) },
      ),
      tier: fc.constantFrom(...tiers),
      releaseStatus: fc.oneof(
        { weight: 6, arbitrary: fc.constant('published' as const) },
        { weight: 1, arbitrary: fc.constant('draft' as const) },
      ),
      files: fc.array(
        fc.record({
          tier: fc.option(fc.constantFrom(...tiers), { nil: null, freq: 2 }),
          status: fc.oneof(
            { weight: 6, arbitrary: fc.constant('available' as const) },
            { weight: 1, arbitrary: fc.constantFrom('pending', 'failed' as const) },
          ),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  caller: fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 4,
      arbitrary: fc.record({
        isAdmin: fc.boolean(),
        memberships: fc.array(
          fc.record({ community: fc.integer({ min: 0, max: 1 }), role: fc.constantFrom(...roles) }),
          { maxLength: 2 },
        ),
        scopes: fc.oneof(
          fc.constant(['read', 'download'] as ('read' | 'download' | 'request' | 'manage')[]),
          fc.subarray(['read', 'download', 'request', 'manage'] as const, { minLength: 1 }),
        ),
        grants: fc.array(grantArb, { minLength: 1, maxLength: 2 }),
      }),
    },
  ),
});

/**
 * No signed URL for a file the policy denies, over HTTP: random worlds of datasets, files, memberships,
 * grants (every status, date, licence and obligation state) and token scopes are written to the database;
 * every file is then asked for through `GET /files/:id/download`. The expected decision is the in-memory
 * policy with the grants in force worked out here from the world (not read back from SQL).
 */
describe('policies over HTTP: a signed URL exactly when the policy allows', () => {
  let app: TestApp;
  let communityIds: string[];
  let world = 0;
  // How often each outcome happened, so the test shows it exercised both sides through grants.
  const seen = { allowedByGrant: 0, deniedWithGrant: 0, allowed: 0, denied: 0 };
  beforeAll(async () => {
    app = await startTestApp();
    const rows = await app.database.db
      .insert(communities)
      .values([0, 1].map((i) => ({ slug: `hc${i}`, name: `HC${i}` })))
      .returning();
    communityIds = rows.map((r) => r.id);
  });
  afterAll(() => app?.stop());

  it('GET /files/:id/download for random worlds', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, async (w) => {
        const db = app.database.db;
        const n = world++;
        const made: {
          s: Parameters<typeof subject<'File', Record<string, unknown>>>[1] & { id: string };
          datasetIdx: number;
        }[] = [];
        const datasetIds: string[] = [];
        const releaseIds: string[] = [];
        for (const [i, d] of w.datasets.entries()) {
          const [ds] = await db
            .insert(datasets)
            .values({
              communityId: communityIds[d.community],
              slug: `w${n}-d${i}`,
              title: 'x',
              status: d.status,
              tier: d.tier,
            })
            .returning();
          const [rel] = await db
            .insert(releases)
            .values({ datasetId: ds.id, tag: 'v1', status: d.releaseStatus })
            .returning();
          datasetIds.push(ds.id);
          releaseIds.push(rel.id);
          for (const [j, f] of d.files.entries()) {
            const [file] = await db
              .insert(files)
              .values({
                releaseId: rel.id,
                name: `f${j}`,
                size: 1,
                mediaType: 'text/plain',
                sha256: 'a'.repeat(64),
                storageKey: `w${n}/${rel.id}/${j}`,
                tier: f.tier,
                status: f.status,
              })
              .returning();
            made.push({
              datasetIdx: i,
              s: {
                id: file.id,
                communityId: ds.communityId,
                datasetId: ds.id,
                releaseId: rel.id,
                tier: f.tier ?? d.tier,
                datasetTier: d.tier,
                status: f.status,
                releaseStatus: d.releaseStatus,
                datasetStatus: d.status,
              },
            });
          }
        }

        let actor: Actor = { kind: 'anonymous' };
        let token: string | undefined;
        if (w.caller) {
          const c = w.caller;
          const u = await app.user({ email: `w${n}@test.org`, admin: c.isAdmin, scopes: [...c.scopes] });
          token = u.token;
          for (const m of c.memberships)
            await db
              .insert(memberships)
              .values({ communityId: communityIds[m.community], userId: u.id, role: m.role })
              .onConflictDoNothing();
          const inForce: GrantRef[] = [];
          for (const g of c.grants) {
            const di = g.dataset % datasetIds.length;
            const target = made.find((m) => m.datasetIdx === di)!;
            const scopeIds =
              g.scope === 'release' ? [releaseIds[di]] : g.scope === 'file' ? [target.s.id] : [];
            const [lv] = await db
              .insert(licenceVersions)
              .values({
                datasetId: datasetIds[di],
                version:
                  1 + (await db.$count(licenceVersions, eq(licenceVersions.datasetId, datasetIds[di]))),
                base: 'custom',
                text: 't',
                status: g.defect === 'licence-withdrawn' ? 'withdrawn' : 'published',
              })
              .returning();
            const [row] = await db
              .insert(grants)
              .values({
                datasetId: datasetIds[di],
                kind: 'request',
                licenceVersionId: lv.id,
                scopeType: g.scope,
                scopeIds,
                status:
                  (['suspended', 'revoked', 'expired'] as const).find((x) => x === g.defect) ?? 'active',
                startsAt: new Date(Date.now() + (g.defect === 'not-started' ? day : -day)),
                expiresAt: new Date(Date.now() + (g.defect === 'ended' ? -1000 : 30 * day)),
              })
              .returning();
            await db.insert(grantees).values({ grantId: row.id, userId: u.id });
            if (g.defect.startsWith('obligation-')) {
              const [status, due] = {
                'obligation-pending-later': ['pending', day],
                'obligation-pending-past-due': ['pending', -day],
                'obligation-overdue': ['overdue', -day],
                'obligation-fulfilled': ['fulfilled', -day],
                'obligation-waived': ['waived', -day],
              }[g.defect as 'obligation-overdue'] as ['pending' | 'overdue' | 'fulfilled' | 'waived', number];
              await db.insert(obligations).values({
                grantId: row.id,
                kind: 'report-use',
                timing: 'after-grant',
                status,
                dueAt: new Date(Date.now() + due),
              });
            }
            // In force, as DOMAIN.md says: active, inside its dates, licence not withdrawn, nothing overdue.
            if (inForceDespite.includes(g.defect))
              inForce.push({ id: row.id, datasetId: datasetIds[di], scope: g.scope, scopeIds });
          }
          actor = {
            kind: 'user',
            userId: u.id,
            isAdmin: c.isAdmin,
            memberships: c.memberships.map((m) => ({ communityId: communityIds[m.community], role: m.role })),
            grants: inForce,
            token: { id: 't', scopes: [...c.scopes] },
          };
        }
        const ability = defineAbilityFor(actor);

        for (const m of made) {
          const allowed = ability.can('download', subject('File', m.s));
          const viaGrant =
            actor.kind === 'user' && (actor.grants ?? []).some((g) => g.datasetId === m.s.datasetId);
          seen[allowed ? 'allowed' : 'denied']++;
          if (viaGrant && m.s.tier !== 'open') seen[allowed ? 'allowedByGrant' : 'deniedWithGrant']++;
          const before = await db.$count(auditEvents, eq(auditEvents.subjectId, m.s.id));
          const res = await app.api(`/files/${m.s.id}/download`, {
            token,
            headers: { accept: 'application/json' },
          });
          const body = (await res.json()) as { url?: string };
          const after = await db.$count(auditEvents, eq(auditEvents.subjectId, m.s.id));
          if (allowed) {
            expect(res.status, JSON.stringify({ file: m.s, actor })).toBe(200);
            expect(body.url).toMatch(/X-Amz-Signature=/);
            expect(after).toBe(before + 1);
          } else {
            expect([401, 403, 404, 409], JSON.stringify({ file: m.s, actor, body })).toContain(res.status);
            expect(body.url).toBeUndefined();
            expect(res.headers.get('location')).toBeNull();
            expect(after).toBe(before);
          }
        }
      }),
      { numRuns: 100 },
    );
    console.log('policy-http outcomes', seen);
    expect(seen.allowedByGrant).toBeGreaterThan(0);
    expect(seen.deniedWithGrant).toBeGreaterThan(0);
    expect(seen.allowed).toBeGreaterThan(0);
    expect(seen.denied).toBeGreaterThan(0);
  }, 180_000);
});
