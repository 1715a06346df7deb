import { subject } from '@casl/ability';
import { describe, expect, it } from 'vitest';
import { type Actor, type CommunityRole, defineAbilityFor, type Tier } from '../../policies/index.ts';

/**
 * Every role × tier × dataset state × grant × token × action, against DOMAIN.md ("Who may do what")
 * written out below as plain expectations — not derived from the policy code.
 */
const C = 'c0000000-0000-4000-8000-000000000001';
const OTHER = 'c0000000-0000-4000-8000-000000000002';
const D = 'd0000000-0000-4000-8000-000000000001';
const R = 'r0000000-0000-4000-8000-000000000001';
const F = 'f0000000-0000-4000-8000-000000000001';
const ME = 'u0000000-0000-4000-8000-000000000001';

type Who = 'anonymous' | 'outsider' | 'admin' | 'grantee' | 'stewardElsewhere' | CommunityRole;
const whos: Who[] = [
  'anonymous',
  'outsider',
  'admin',
  'grantee',
  'stewardElsewhere',
  'member',
  'reviewer',
  'auditor',
  'steward',
];
const tiers: Tier[] = ['open', 'registered', 'gated', 'restricted', 'closed'];
const states = ['draft', 'published', 'withdrawn'] as const;
type Token = 'session' | 'read' | 'download' | 'request' | 'manage' | 'all';
const tokens: Token[] = ['session', 'read', 'download', 'request', 'manage', 'all'];
const actions = ['read', 'download', 'request', 'decide', 'manage', 'audit'] as const;

function actorFor(who: Who, token: Token): Actor {
  if (who === 'anonymous') return { kind: 'anonymous' };
  const role = ['member', 'reviewer', 'auditor', 'steward'].includes(who)
    ? (who as CommunityRole)
    : undefined;
  return {
    kind: 'user',
    userId: ME,
    isAdmin: who === 'admin',
    memberships: role
      ? [{ communityId: C, role }]
      : who === 'stewardElsewhere'
        ? [{ communityId: OTHER, role: 'steward' }]
        : [],
    grants: who === 'grantee' ? [{ id: 'g', datasetId: D, scope: 'dataset', scopeIds: [] }] : [],
    token:
      token === 'session'
        ? undefined
        : {
            id: 't',
            scopes: (token === 'all' ? ['read', 'download', 'request', 'manage'] : [token]) as never,
          },
  };
}

/** DOMAIN.md in words, one line per rule. */
function expected(
  who: Who,
  tier: Tier,
  state: (typeof states)[number],
  token: Token,
  action: (typeof actions)[number],
): boolean {
  const insider = ['member', 'reviewer', 'auditor', 'steward'].includes(who);
  const signedIn = who !== 'anonymous';
  const publicPage = state === 'published' && tier !== 'closed';
  const scope = (s: Token) => token === 'session' || token === 'all' || token === s;
  switch (action) {
    // Anyone reads published, non-closed pages; the community's own people read all of theirs.
    case 'read':
      return publicPage || insider;
    // Open files: anyone. Non-open: a grant in force (never closed). Stewards: their own files. Tokens need `download`.
    case 'download':
      if (!scope('download')) return false;
      if (who === 'steward') return true;
      if (!publicPage) return false;
      if (tier === 'open') return true;
      return who === 'grantee' && ['registered', 'gated', 'restricted'].includes(tier);
    // Signed-in users accept a registered licence or request gated / restricted access. Tokens need `request`.
    case 'request':
      return (
        signedIn &&
        scope('request') &&
        state === 'published' &&
        ['registered', 'gated', 'restricted'].includes(tier)
      );
    // Stewards and reviewers of the community decide (review) requests — not the admin. Tokens need `manage`.
    case 'decide':
      return (who === 'steward' || who === 'reviewer') && scope('manage');
    // Stewards manage their datasets. Tokens need `manage`.
    case 'manage':
      return who === 'steward' && scope('manage');
    // Stewards and auditors read the audit log. Any token may read what its user may read.
    case 'audit':
      return who === 'steward' || who === 'auditor';
  }
}

function decide(
  actor: Actor,
  tier: Tier,
  state: (typeof states)[number],
  action: (typeof actions)[number],
): boolean {
  const ability = defineAbilityFor(actor);
  const dataset = { id: D, communityId: C, status: state, tier };
  const file = {
    id: F,
    communityId: C,
    datasetId: D,
    releaseId: R,
    tier,
    datasetTier: tier,
    status: 'available',
    releaseStatus: 'published',
    datasetStatus: state,
  };
  switch (action) {
    case 'read':
      return ability.can('read', subject('Dataset', dataset));
    case 'download':
      return ability.can('download', subject('File', file));
    case 'request':
      return ability.can(tier === 'registered' ? 'accept' : 'request', subject('Dataset', dataset));
    case 'decide':
      return ability.can(
        'review',
        subject('AccessRequest', {
          id: 'a',
          datasetId: D,
          communityId: C,
          requesterId: 'someone-else',
          teamMemberId: '',
          status: 'submitted',
        }),
      );
    case 'manage':
      return ability.can('update', subject('Dataset', dataset));
    case 'audit':
      return ability.can('read', subject('AuditEvent', { communityId: C }));
  }
}

describe('the policy table', () => {
  const rows: [Who, Tier, (typeof states)[number], Token, (typeof actions)[number]][] = [];
  for (const who of whos)
    for (const tier of tiers)
      for (const state of states)
        for (const token of tokens)
          for (const action of actions)
            if (!(who === 'anonymous' && token !== 'session')) rows.push([who, tier, state, token, action]);

  it(`covers ${rows.length} cases`, () => {
    const wrong = rows.filter(
      ([who, tier, state, token, action]) =>
        decide(actorFor(who, token), tier, state, action) !== expected(who, tier, state, token, action),
    );
    expect(wrong.map((r) => r.join(' · '))).toEqual([]);
  });

  it('a platform admin is not a steward: no gated download, no decisions, no management', () => {
    const admin = actorFor('admin', 'session');
    expect(decide(admin, 'gated', 'published', 'download')).toBe(false);
    expect(decide(admin, 'gated', 'published', 'decide')).toBe(false);
    expect(decide(admin, 'open', 'draft', 'manage')).toBe(false);
    expect(defineAbilityFor(admin).can('create', 'Community')).toBe(true);
  });

  it('nobody reviews their own request', () => {
    const steward = defineAbilityFor(actorFor('steward', 'session'));
    const own = {
      id: 'a',
      datasetId: D,
      communityId: C,
      requesterId: ME,
      teamMemberId: '',
      status: 'submitted' as const,
    };
    expect(steward.can('review', subject('AccessRequest', own))).toBe(false);
    expect(steward.can('read', subject('AccessRequest', own))).toBe(true);
  });

  it('a named team member reads the request and may not review it, even as a steward', () => {
    const req = (teamMemberId: string, status = 'submitted' as const) => ({
      id: 'a',
      datasetId: D,
      communityId: C,
      requesterId: 'someone-else',
      teamMemberId,
      status,
    });
    const outsider = defineAbilityFor(actorFor('outsider', 'session'));
    expect(outsider.can('read', subject('AccessRequest', req(ME)))).toBe(true);
    expect(outsider.can('read', subject('AccessRequest', req('')))).toBe(false);
    expect(outsider.can('withdraw', subject('AccessRequest', req(ME)))).toBe(false);
    const steward = defineAbilityFor(actorFor('steward', 'session'));
    expect(steward.can('review', subject('AccessRequest', req(ME)))).toBe(false);
    expect(steward.can('review', subject('AccessRequest', req('')))).toBe(true);
    expect(steward.can('review', subject('AccessRequest', req('', 'returned' as never)))).toBe(false);
  });

  it.each([
    // who, token, action on a request by someone else in C (or by ME where noted), allowed?
    ['reviewer', 'manage', 'review', false, true],
    ['reviewer', 'request', 'review', false, false],
    ['reviewer', 'read', 'read', false, true],
    ['auditor', 'session', 'read', false, false],
    ['stewardElsewhere', 'session', 'read', false, false],
    ['outsider', 'session', 'withdraw', true, true],
    ['outsider', 'request', 'withdraw', true, true],
    ['outsider', 'read', 'withdraw', true, false],
    ['outsider', 'session', 'withdraw', false, false],
  ] as [Who, Token, 'read' | 'review' | 'withdraw', boolean, boolean][])(
    'access request: %s with %s token → %s (own: %s) = %s',
    (who, token, action, own, allowed) => {
      const ability = defineAbilityFor(actorFor(who, token));
      const req = {
        id: 'a',
        datasetId: D,
        communityId: C,
        requesterId: own ? ME : 'someone-else',
        teamMemberId: '',
        status: 'submitted' as const,
      };
      expect(ability.can(action, subject('AccessRequest', req))).toBe(allowed);
    },
  );

  it.each([
    // who, token, action, grant status, is ME a grantee, allowed?
    ['outsider', 'session', 'read', 'active', true, true],
    ['outsider', 'session', 'read', 'active', false, false],
    ['outsider', 'session', 'suspend', 'active', true, false],
    ['reviewer', 'session', 'read', 'active', false, false],
    ['auditor', 'session', 'read', 'active', false, false],
    ['stewardElsewhere', 'session', 'read', 'active', false, false],
    ['steward', 'session', 'read', 'revoked', false, true],
    ['steward', 'session', 'suspend', 'active', false, true],
    ['steward', 'session', 'suspend', 'suspended', false, false],
    ['steward', 'session', 'reinstate', 'suspended', false, true],
    ['steward', 'session', 'revoke', 'suspended', false, true],
    ['steward', 'session', 'revoke', 'revoked', false, false],
    ['steward', 'session', 'renew', 'expired', false, true],
    ['steward', 'session', 'renew', 'revoked', false, false],
    ['steward', 'request', 'suspend', 'active', false, false],
    ['steward', 'manage', 'suspend', 'active', false, true],
    ['admin', 'session', 'suspend', 'active', false, false],
  ] as [Who, Token, 'read' | 'suspend' | 'reinstate' | 'revoke' | 'renew', string, boolean, boolean][])(
    'grant: %s with %s token → %s a %s grant (grantee: %s) = %s',
    (who, token, action, status, grantee, allowed) => {
      const ability = defineAbilityFor(actorFor(who, token));
      const g = { id: 'g', datasetId: D, communityId: C, granteeId: grantee ? ME : 'someone-else', status };
      expect(ability.can(action, subject('Grant', g as never))).toBe(allowed);
    },
  );

  it.each([
    // who, token, action, obligation status, is ME a grantee, allowed? (DOMAIN.md: grantees fulfil, stewards verify or waive)
    ['outsider', 'session', 'read', 'pending', true, true],
    ['outsider', 'session', 'read', 'pending', false, false],
    ['outsider', 'session', 'submitEvidence', 'pending', true, true],
    ['outsider', 'session', 'submitEvidence', 'overdue', true, true],
    ['outsider', 'session', 'submitEvidence', 'fulfilled', true, false],
    ['outsider', 'session', 'submitEvidence', 'waived', true, false],
    ['outsider', 'session', 'submitEvidence', 'pending', false, false],
    ['outsider', 'request', 'submitEvidence', 'pending', true, true],
    ['outsider', 'download', 'submitEvidence', 'pending', true, false],
    ['outsider', 'session', 'verify', 'pending', true, false],
    ['outsider', 'session', 'waive', 'overdue', true, false],
    ['steward', 'session', 'read', 'fulfilled', false, true],
    ['steward', 'session', 'submitEvidence', 'pending', false, false],
    ['steward', 'session', 'verify', 'pending', false, true],
    ['steward', 'session', 'verify', 'overdue', false, true],
    ['steward', 'session', 'verify', 'fulfilled', false, false],
    ['steward', 'session', 'waive', 'overdue', false, true],
    ['steward', 'session', 'waive', 'waived', false, false],
    ['steward', 'session', 'reject', 'pending', false, true],
    ['steward', 'session', 'reject', 'fulfilled', false, false],
    ['steward', 'request', 'verify', 'pending', false, false],
    ['steward', 'manage', 'waive', 'pending', false, true],
    ['stewardElsewhere', 'session', 'verify', 'pending', false, false],
    ['reviewer', 'session', 'read', 'pending', false, false],
    ['auditor', 'session', 'verify', 'pending', false, false],
    ['admin', 'session', 'waive', 'pending', false, false],
  ] as [Who, Token, 'read' | 'submitEvidence' | 'verify' | 'waive' | 'reject', string, boolean, boolean][])(
    'obligation: %s with %s token → %s a %s obligation (grantee: %s) = %s',
    (who, token, action, status, grantee, allowed) => {
      const ability = defineAbilityFor(actorFor(who, token));
      const o = { id: 'o', grantId: 'g', communityId: C, granteeId: grantee ? ME : 'someone-else', status };
      expect(ability.can(action, subject('Obligation', o as never))).toBe(allowed);
    },
  );

  it.each([
    // who, token, grant status, is ME a grantee, allowed to register a derived work?
    ['outsider', 'session', 'active', true, true],
    ['outsider', 'session', 'suspended', true, true],
    ['outsider', 'session', 'expired', true, true],
    ['outsider', 'session', 'revoked', true, false],
    ['outsider', 'session', 'active', false, false],
    ['outsider', 'request', 'active', true, true],
    ['outsider', 'read', 'active', true, false],
    ['steward', 'session', 'active', false, false],
  ] as [Who, Token, string, boolean, boolean][])(
    'derived work: %s with %s token under a %s grant (grantee: %s) = %s',
    (who, token, status, grantee, allowed) => {
      const ability = defineAbilityFor(actorFor(who, token));
      const g = { id: 'g', datasetId: D, communityId: C, granteeId: grantee ? ME : 'someone-else', status };
      expect(ability.can('registerDerivedWork', subject('Grant', g as never))).toBe(allowed);
    },
  );

  it('grants cover only their scope; closed and pending files are never granted', () => {
    const base = actorFor('outsider', 'session') as Extract<Actor, { kind: 'user' }>;
    const file = {
      id: F,
      communityId: C,
      datasetId: D,
      releaseId: R,
      tier: 'gated' as Tier,
      datasetTier: 'gated' as Tier,
      status: 'available' as const,
      releaseStatus: 'published' as const,
      datasetStatus: 'published' as const,
    };
    const can = (grants: NonNullable<typeof base.grants>, f = file) =>
      defineAbilityFor({ ...base, grants }).can('download', subject('File', f));
    expect(can([{ id: 'g', datasetId: D, scope: 'release', scopeIds: [R] }])).toBe(true);
    expect(can([{ id: 'g', datasetId: D, scope: 'release', scopeIds: ['other'] }])).toBe(false);
    expect(can([{ id: 'g', datasetId: D, scope: 'file', scopeIds: [F] }])).toBe(true);
    expect(can([{ id: 'g', datasetId: 'other', scope: 'dataset', scopeIds: [] }])).toBe(false);
    const g = [{ id: 'g', datasetId: D, scope: 'dataset' as const, scopeIds: [] }];
    expect(can(g, { ...file, tier: 'closed' })).toBe(false);
    expect(can(g, { ...file, status: 'pending' as never })).toBe(false);
    expect(can(g, { ...file, releaseStatus: 'draft' as never })).toBe(false);
  });
});
