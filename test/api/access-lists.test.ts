import { subject } from '@casl/ability';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessRequestSubject, listRequests } from '../../api/access-requests/access-requests.service.ts';
import type { Ctx } from '../../api/context.ts';
import { grantSubject, listGrants } from '../../api/grants/grants.service.ts';
import type { Db } from '../../db/index.ts';
import {
  accessRequests,
  communities,
  datasets,
  grantees,
  grants,
  licenceVersions,
  users,
} from '../../db/schema/index.ts';
import { type Actor, type CommunityRole, defineAbilityFor } from '../../policies/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const roles: CommunityRole[] = ['steward', 'reviewer', 'auditor', 'member'];
const requestStatuses = ['submitted', 'in_review', 'approved', 'denied', 'returned', 'withdrawn'] as const;
const grantStatuses = ['active', 'suspended', 'revoked', 'expired'] as const;
const USERS = 5;

const worldArb = fc.record({
  requests: fc.array(
    fc.record({
      community: fc.integer({ min: 0, max: 2 }),
      requester: fc.integer({ min: 0, max: USERS - 1 }),
      team: fc.subarray([0, 1, 2, 3, 4]),
      status: fc.constantFrom(...requestStatuses),
    }),
    { maxLength: 8 },
  ),
  grants: fc.array(
    fc.record({
      community: fc.integer({ min: 0, max: 2 }),
      grantees: fc.subarray([0, 1, 2, 3, 4], { minLength: 1 }),
      status: fc.constantFrom(...grantStatuses),
    }),
    { maxLength: 8 },
  ),
  me: fc.integer({ min: 0, max: USERS - 1 }),
  isAdmin: fc.boolean(),
  memberships: fc.array(
    fc.record({ community: fc.integer({ min: 0, max: 2 }), role: fc.constantFrom(...roles) }),
    { maxLength: 3 },
  ),
  scopes: fc.option(fc.subarray(['read', 'download', 'request', 'manage'] as const, { minLength: 1 }), {
    nil: undefined,
  }),
  mine: fc.boolean(),
});

class Rollback extends Error {}

/**
 * The request and grant lists are filtered in SQL (accessibleWhere with per-viewer columns): for random
 * worlds of requests, teams, grantees, memberships and token scopes, each list is exactly the rows the
 * in-memory policy lets the caller read (and, with `mine`, those they requested, are on the team of, or hold).
 */
describe('access request and grant lists equal the in-memory policy', () => {
  let app: TestApp;
  let communityIds: string[];
  let userIds: string[];
  let datasetIds: string[];
  let licenceIds: string[];

  beforeAll(async () => {
    app = await startTestApp();
    const db = app.database.db;
    communityIds = (
      await db
        .insert(communities)
        .values([0, 1, 2].map((i) => ({ slug: `c${i}`, name: `C${i}` })))
        .returning()
    ).map((r) => r.id);
    userIds = (
      await db
        .insert(users)
        .values([...Array(USERS).keys()].map((i) => ({ email: `u${i}@test.org`, name: `U${i}` })))
        .returning()
    ).map((r) => r.id);
    const ds = await db
      .insert(datasets)
      .values(
        communityIds.map((communityId, i) => ({
          communityId,
          slug: `d${i}`,
          title: 'x',
          status: 'published' as const,
          tier: 'gated' as const,
        })),
      )
      .returning();
    datasetIds = ds.map((d) => d.id);
    licenceIds = (
      await db
        .insert(licenceVersions)
        .values(datasetIds.map((datasetId) => ({ datasetId, version: 1, base: 'CC-BY-4.0', text: '' })))
        .returning()
    ).map((l) => l.id);
  });
  afterAll(() => app?.stop());

  it('GET /access-requests and GET /grants', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, async (w) => {
        const actor: Actor = {
          kind: 'user',
          userId: userIds[w.me],
          isAdmin: w.isAdmin,
          memberships: w.memberships.map((m) => ({ communityId: communityIds[m.community], role: m.role })),
          token: w.scopes ? { id: 't', scopes: [...w.scopes] as never } : undefined,
        };
        const ability = defineAbilityFor(actor);
        await app.database.db
          .transaction(async (tx: Db) => {
            const ctx: Ctx = { actor, ability, db: tx, now: new Date(), requestId: 'test', ipHash: null };
            const memRequests: string[] = [];
            for (const r of w.requests) {
              // One open request per requester and dataset: skip worlds' duplicates of an open one.
              const [row] = await tx
                .insert(accessRequests)
                .values({
                  datasetId: datasetIds[r.community],
                  requesterId: userIds[r.requester],
                  teamUserIds: r.team.filter((t) => t !== r.requester).map((t) => userIds[t]),
                  purposeCategory: 'research',
                  purposeDescription: 'x',
                  commercial: false,
                  forProfit: false,
                  licenceVersionId: licenceIds[r.community],
                  licenceAcceptedAt: new Date(),
                  status: r.status,
                  matchResult: 'abstain',
                })
                .onConflictDoNothing()
                .returning();
              if (!row) continue;
              const me = userIds[w.me];
              const s = accessRequestSubject(ctx, {
                request: row,
                communityId: communityIds[r.community],
              } as never);
              const mine = row.requesterId === me || row.teamUserIds.includes(me);
              if (ability.can('read', subject('AccessRequest', s)) && (!w.mine || mine))
                memRequests.push(row.id);
            }
            const memGrants: string[] = [];
            for (const g of w.grants) {
              const [row] = await tx
                .insert(grants)
                .values({
                  datasetId: datasetIds[g.community],
                  kind: 'request',
                  licenceVersionId: licenceIds[g.community],
                  expiresAt: new Date(Date.now() + 86_400_000),
                  status: g.status,
                })
                .returning();
              const ids = g.grantees.map((i) => userIds[i]);
              await tx.insert(grantees).values(ids.map((userId) => ({ grantId: row.id, userId })));
              const s = grantSubject(
                ctx,
                { grant: row, communityId: communityIds[g.community] } as never,
                ids,
              );
              const mine = ids.includes(userIds[w.me]);
              if (ability.can('read', subject('Grant', s)) && (!w.mine || mine)) memGrants.push(row.id);
            }
            const sqlRequests = await listRequests(ctx, { limit: 100, mine: w.mine || undefined });
            const sqlGrants = await listGrants(ctx, { limit: 100, mine: w.mine || undefined });
            expect(sqlRequests.map((x) => x.row.request.id).sort()).toEqual(memRequests.sort());
            expect(sqlGrants.map((x) => x.row.grant.id).sort()).toEqual(memGrants.sort());
            throw new Rollback();
          })
          .catch((err) => {
            if (!(err instanceof Rollback)) throw err;
          });
      }),
      { numRuns: 120 },
    );
  }, 180_000);
});
