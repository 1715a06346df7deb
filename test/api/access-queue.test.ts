import { createMongoAbility, subject } from '@casl/ability';
import { type PackRule, unpackRules } from '@casl/ability/extra';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../db/schema/index.ts';
import type { AppAbility } from '../../policies/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

type U = { id: string; token: string };
type Item = {
  id: string;
  status: string;
  requester: { id: string; name: string; organisation: string | null };
  subject: Record<string, string>;
  can: { review: boolean; withdraw: boolean; resubmit: boolean };
};

const body = {
  purpose: { category: 'research', description: 'Oral history study', commercial: false, forProfit: false },
  answers: {
    affiliation: 'Uni of the River',
    relationship: 'Working with the community',
    country: 'NZ',
    ethics: true,
  },
  licenceVersion: 1,
};

/**
 * The web's review queue reads `GET /access-requests?community=…&status=submitted,in_review&order=oldest`:
 * several statuses at once, the longest-waiting first, with the requester's organisation and the policy
 * subject the page's `can(...)` decides from.
 */
describe('access-request lists for the review queue', () => {
  let app: TestApp;
  let steward: U;
  const requesters: U[] = [];
  const ids: string[] = [];

  const list = async (q: string, token = steward.token) => {
    const res = await app.api(`/access-requests?${q}`, { token });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Item[] }).items;
  };

  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
    steward = await app.user({ email: 'steward@example.org' });
    for (const n of ['q1', 'q2', 'q3']) requesters.push(await app.user({ email: `${n}@test.org` }));
    await app.database.db
      .update(users)
      .set({ homeOrganization: 'river.example.ac.nz' })
      .where(eq(users.id, requesters[0].id));
    for (const r of requesters) {
      const res = await app.api('/datasets/demo-oral-histories/access-requests', {
        method: 'POST',
        token: r.token,
        json: body,
      });
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { id: string }).id);
    }
    // The second goes in review (one approval of the two the licence needs), the third is withdrawn.
    const review = await app.api(`/access-requests/${ids[1]}/reviews`, {
      method: 'POST',
      token: steward.token,
      json: { decision: 'approve', comment: '' },
    });
    expect(review.status).toBe(201);
    expect(((await review.json()) as { status: string }).status).toBe('in_review');
    const withdraw = await app.api(`/access-requests/${ids[2]}/withdraw`, {
      method: 'POST',
      token: requesters[2].token,
      json: {},
    });
    expect(withdraw.status).toBe(200);
  }, 60_000);
  afterAll(() => app?.stop());

  it('lists several statuses at once, oldest first on request', async () => {
    const queue = await list('community=demo-collective&status=submitted,in_review&order=oldest');
    expect(queue.map((x) => x.id)).toEqual([ids[0], ids[1]]);
    expect(queue.map((x) => x.status)).toEqual(['submitted', 'in_review']);
    const newest = await list('community=demo-collective&status=submitted,in_review');
    expect(newest.map((x) => x.id)).toEqual([ids[1], ids[0]]);
    const all = await list('community=demo-collective&order=oldest');
    expect(all.map((x) => x.id)).toEqual(ids);
    expect((await list('community=demo-collective&status=withdrawn')).map((x) => x.id)).toEqual([ids[2]]);
  });

  it("gives the requester's organisation and the policy subject", async () => {
    const [first, second] = await list('community=demo-collective&status=submitted,in_review&order=oldest');
    expect(first.requester).toMatchObject({ id: requesters[0].id, organisation: 'river.example.ac.nz' });
    expect(second.requester.organisation).toBeNull();
    expect(first.subject).toMatchObject({ id: ids[0], requesterId: requesters[0].id, status: 'submitted' });
    expect(first.subject.communityId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.can.review).toBe(true);
    const one = (await (
      await app.api(`/access-requests/${ids[0]}`, { token: steward.token })
    ).json()) as Item;
    expect(one.subject).toEqual(first.subject);
    expect(one.requester.organisation).toBe('river.example.ac.nz');
  });

  it("decides with GET /me's packed rules and the item's subject as the API does", async () => {
    const callers = { steward: steward.token, q1: requesters[0].token, q3: requesters[2].token };
    let checked = 0;
    for (const [who, token] of Object.entries(callers)) {
      const me = (await (await app.api('/me', { token })).json()) as { rules: PackRule<never>[] };
      const ability = createMongoAbility(unpackRules(me.rules) as never) as AppAbility;
      const items = await list(who === 'steward' ? 'community=demo-collective' : 'mine=1', token);
      expect(items.length).toBeGreaterThan(0);
      for (const x of items)
        for (const action of ['withdraw', 'resubmit', 'review'] as const) {
          expect(
            ability.can(action, subject('AccessRequest', { ...x.subject }) as never),
            `${who} ${action}`,
          ).toBe(x.can[action]);
          checked++;
        }
    }
    expect(checked).toBe(3 * 3 + 3 + 3);
  });

  it('refuses an unknown status with a 400 and lists nothing', async () => {
    for (const q of ['status=pending', 'status=submitted,nope', 'status=', 'order=sideways']) {
      const res = await app.api(`/access-requests?community=demo-collective&${q}`, { token: steward.token });
      expect(res.status, q).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }
  });
});
