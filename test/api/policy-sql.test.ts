import { subject } from '@casl/ability';
import { and, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetColumns } from '../../api/datasets/datasets.repo.ts';
import { fileColumns } from '../../api/files/files.repo.ts';
import type { Db } from '../../db/index.ts';
import { communities, datasets, files, releases } from '../../db/schema/index.ts';
import { type Actor, accessibleWhere, type CommunityRole, defineAbilityFor } from '../../policies/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const tiers = ['open', 'registered', 'gated', 'restricted', 'closed'] as const;
const roles: CommunityRole[] = ['steward', 'reviewer', 'auditor', 'member'];

const worldArb = fc.record({
  datasets: fc.array(
    fc.record({
      community: fc.integer({ min: 0, max: 2 }),
      status: fc.constantFrom('draft', 'published', 'withdrawn' as const),
      tier: fc.constantFrom(...tiers),
      files: fc.array(
        fc.record({
          releaseStatus: fc.constantFrom('draft', 'published' as const),
          tier: fc.option(fc.constantFrom(...tiers), { nil: null }),
          status: fc.constantFrom('pending', 'available', 'failed' as const),
        }),
        { maxLength: 3 },
      ),
    }),
    { maxLength: 8 },
  ),
  actor: fc.oneof(
    fc.constant({ kind: 'anonymous' as const }),
    fc.record({
      kind: fc.constant('user' as const),
      isAdmin: fc.boolean(),
      memberships: fc.array(
        fc.record({ community: fc.integer({ min: 0, max: 2 }), role: fc.constantFrom(...roles) }),
        {
          maxLength: 3,
        },
      ),
      scopes: fc.option(fc.subarray(['read', 'download', 'request', 'manage'] as const, { minLength: 1 }), {
        nil: undefined,
      }),
    }),
  ),
});

class Rollback extends Error {}

/** The same rules decide single objects in memory and lists in SQL: for random worlds, the two agree. */
describe('policies: in-memory decisions equal the SQL filters', () => {
  let app: TestApp;
  let communityIds: string[];
  beforeAll(async () => {
    app = await startTestApp();
    const rows = await app.database.db
      .insert(communities)
      .values([0, 1, 2].map((i) => ({ slug: `c${i}`, name: `C${i}` })))
      .returning();
    communityIds = rows.map((r) => r.id);
  });
  afterAll(() => app?.stop());

  it('Dataset read and File download', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, async (world) => {
        const actor: Actor =
          world.actor.kind === 'anonymous'
            ? { kind: 'anonymous' }
            : {
                kind: 'user',
                userId: '00000000-0000-4000-8000-000000000001',
                isAdmin: world.actor.isAdmin,
                memberships: world.actor.memberships.map((m) => ({
                  communityId: communityIds[m.community],
                  role: m.role,
                })),
                token: world.actor.scopes ? { id: 't', scopes: [...world.actor.scopes] as never } : undefined,
              };
        const ability = defineAbilityFor(actor);
        await app.database.db
          .transaction(async (tx: Db) => {
            const memDatasets: string[] = [];
            const memFiles: string[] = [];
            for (const [i, d] of world.datasets.entries()) {
              const [row] = await tx
                .insert(datasets)
                .values({
                  communityId: communityIds[d.community],
                  slug: `d${i}`,
                  title: 'x',
                  status: d.status,
                  tier: d.tier,
                })
                .returning();
              if (
                ability.can(
                  'read',
                  subject('Dataset', {
                    id: row.id,
                    communityId: row.communityId,
                    status: d.status,
                    tier: d.tier,
                  }),
                )
              ) {
                memDatasets.push(row.id);
              }
              for (const [j, f] of d.files.entries()) {
                const [rel] = await tx
                  .insert(releases)
                  .values({ datasetId: row.id, tag: `r${j}`, status: f.releaseStatus })
                  .returning();
                const [file] = await tx
                  .insert(files)
                  .values({
                    releaseId: rel.id,
                    name: 'f',
                    size: 1,
                    mediaType: 'text/plain',
                    sha256: 'a'.repeat(64),
                    storageKey: `${rel.id}`,
                    tier: f.tier,
                    status: f.status,
                  })
                  .returning();
                const s = {
                  id: file.id,
                  communityId: row.communityId,
                  datasetId: row.id,
                  releaseId: rel.id,
                  tier: f.tier ?? d.tier,
                  datasetTier: d.tier,
                  status: f.status,
                  releaseStatus: f.releaseStatus,
                  datasetStatus: d.status,
                };
                if (ability.can('download', subject('File', s))) memFiles.push(file.id);
              }
            }
            const sqlDatasets = await tx
              .select({ id: datasets.id })
              .from(datasets)
              .where(accessibleWhere(ability, 'read', 'Dataset', datasetColumns));
            const sqlFiles = await tx
              .select({ id: files.id })
              .from(files)
              .innerJoin(releases, eq(releases.id, files.releaseId))
              .innerJoin(datasets, and(eq(datasets.id, releases.datasetId)))
              .where(accessibleWhere(ability, 'download', 'File', fileColumns));
            expect(sqlDatasets.map((r) => r.id).sort()).toEqual(memDatasets.sort());
            expect(sqlFiles.map((r) => r.id).sort()).toEqual(memFiles.sort());
            throw new Rollback();
          })
          .catch((err) => {
            if (!(err instanceof Rollback)) throw err;
          });
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
